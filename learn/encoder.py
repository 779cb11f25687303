"""Fine-tune all-MiniLM-L6-v2 on the labelled messages: one encoder for triage and retrieval.

Two losses share one pass over the data:

- **triage**: a linear head over the unit-length embedding of each message (after the earlier
  question it follows, if any) learns its class (``learn.data.classes_of``: answer, refuse,
  no context, each kind of declined request, each kind of emergency), so "this is
  happening now" and "what are the signs of" end up far apart;
- **retrieval**: each answerable question is pulled towards every gold passage that answers
  it and pushed from the other passages in its batch (in-batch negatives), so a patient's
  wording lands near the pages' wording.

The head trained here only shapes the encoder and is then dropped: triage's own heads are
logistic regressions fitted afterwards on the encoder's embeddings (``learn.fit.fit_heads``),
which give sharper, reviewable probabilities than a head trained at the encoder's learning rate.

Everything is seeded and runs on a fixed number of threads, so the same data and recipe give
the same weights: ``python -m learn model`` rebuilds ``var/model/`` from the repository alone.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embedding import BASE_MODEL, FINE_TUNED_FILE, load_base_model
from learn.data import Row, classes_of

# How many threads a fit runs on: fixed, so that sums are added in the same order on every machine
# of this kind (2 cores) and a refit gives the same weights.
FIT_THREADS = 2


@dataclass(frozen=True)
class Recipe:
    """Everything a fine-tune depends on besides the data; stored with the fitted files."""

    base: str = BASE_MODEL
    seed: int = 0
    epochs: int = 3
    learning_rate: float = 1e-4
    trainable_layers: int = 6  # layers that learn, from the top; those below run once per text
    batch_size: int = 16
    max_seq_length: int = 128
    head_scale: float = 10.0  # logits = scale * (W @ unit embedding + b)
    retrieval_scale: float = 20.0  # in-batch softmax over cosines, times this
    urgent_weight: float = 2.0  # the cost of a missed emergency or declined request, against 1 for the rest

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FineTuned:
    """A fine-tuned encoder and its triage head."""

    model: object  # a SentenceTransformer
    recipe: Recipe


def retrieval_pairs(rows: list[Row]) -> list[tuple[int, str, str]]:
    """(question number, question, gold passage) for every gold passage of an answerable row."""
    pairs = []
    for number, row in enumerate(rows):
        if row.expect != "answer":
            continue
        for _, text in row.evidence:
            pairs.append((number, row.text, text))
    return pairs


def fine_tune(rows: list[Row], recipe: Recipe | None = None, *, say=lambda message: None) -> FineTuned:
    """Fine-tune the base model on ``rows``; deterministic for the same rows and recipe."""
    import torch

    recipe = recipe or Recipe()
    torch.manual_seed(recipe.seed)
    random.seed(recipe.seed)
    torch.set_num_threads(FIT_THREADS)
    torch.use_deterministic_algorithms(True)
    model = load_base_model()
    model.max_seq_length = recipe.max_seq_length
    classes = classes_of(rows)
    head = torch.nn.Linear(model.get_embedding_dimension(), len(classes))
    weights = torch.tensor([recipe.urgent_weight if ":" in name else 1.0 for name in classes])
    labels = np.array([classes.index(row.label) for row in rows])
    texts = [row.text for row in rows]
    pairs = retrieval_pairs(rows)
    bert = model[0].auto_model
    trained = bert.encoder.layer[-recipe.trainable_layers :]
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    for parameter in trained.parameters():
        parameter.requires_grad_(True)
    optimiser = torch.optim.AdamW([*trained.parameters(), *head.parameters()], lr=recipe.learning_rate)
    generator = np.random.default_rng(recipe.seed)
    frozen = _frozen_states(model, sorted({*texts, *(p for _, _, p in pairs)}), recipe.trainable_layers)

    def embed(batch: list[str]):
        """The unit embeddings of ``batch``: cached frozen layers, then the trained ones, mean-pooled."""
        states = [frozen[text] for text in batch]
        length = max(len(s) for s in states)
        hidden = torch.zeros(len(states), length, states[0].shape[1])
        mask = torch.zeros(len(states), length)
        for i, s in enumerate(states):
            hidden[i, : len(s)], mask[i, : len(s)] = s, 1.0
        additive = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
        for layer in trained:
            out = layer(hidden, attention_mask=additive)
            hidden = out[0] if isinstance(out, tuple) else out
        pooled = (hidden * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)
        return torch.nn.functional.normalize(pooled, dim=-1)

    trained.train()
    size = recipe.batch_size
    for epoch in range(recipe.epochs):
        order = generator.permutation(len(rows))
        pair_order = generator.permutation(len(pairs))
        steps = (len(order) + size - 1) // size
        total = 0.0
        for step in range(steps):
            batch = order[step * size : (step + 1) * size]
            logits = recipe.head_scale * head(embed([texts[i] for i in batch]))
            loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(labels[batch]), weight=weights)
            if pairs:
                chosen = [pairs[pair_order[(step * size + k) % len(pairs)]] for k in range(size)]
                questions = embed([q for _, q, _ in chosen])
                passages = embed([p for _, _, p in chosen])
                similarity = recipe.retrieval_scale * questions @ passages.T
                owner = torch.tensor([n for n, _, _ in chosen])
                # Another gold passage of the same question is no negative.
                same = (owner[:, None] == owner[None, :]) & ~torch.eye(len(chosen), dtype=torch.bool)
                similarity = similarity.masked_fill(same, float("-inf"))
                loss = loss + torch.nn.functional.cross_entropy(similarity, torch.arange(len(chosen)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach())
        say(f"epoch {epoch + 1}/{recipe.epochs}: mean loss {total / steps:.3f}")
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    torch.use_deterministic_algorithms(False)
    return FineTuned(model=model, recipe=recipe)


def _frozen_states(model, texts: list[str], trainable: int, batch_size: int = 64) -> dict:
    """Each text's token states where the trained layers begin (padding cut off), computed once."""
    import torch

    bert = model[0].auto_model
    found = {}
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            features = model.preprocess(batch)
            out = bert(
                input_ids=features["input_ids"],
                attention_mask=features["attention_mask"],
                token_type_ids=features.get("token_type_ids"),
                output_hidden_states=True,
            )
            states = out.hidden_states[len(out.hidden_states) - 1 - trainable]
            for text, state, mask in zip(batch, states, features["attention_mask"], strict=True):
                found[text] = state[: int(mask.sum())].clone()
    return found


def save(fitted: FineTuned, folder: Path, *, model_id: str) -> None:
    """Write the encoder (safetensors and configs), and last the file naming its fit."""
    folder.mkdir(parents=True, exist_ok=True)
    fitted.model.save(str(folder), create_model_card=False)
    (folder / FINE_TUNED_FILE).write_text(
        json.dumps({"model_id": model_id, "recipe": fitted.recipe.to_dict()}, indent=2) + "\n", encoding="utf-8"
    )


def load_fine_tuned(folder: Path, recipe: Recipe) -> FineTuned:
    """A fine-tuned encoder written by ``save``."""
    from embedding import sentence_transformer_at

    return FineTuned(model=sentence_transformer_at(folder), recipe=recipe)
