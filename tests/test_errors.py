"""One tree of errors, and other libraries' errors mapped into it at one boundary each, cause kept."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import errors
from errors import ChatbotError, IndexCorruptError, ModelError, StorageError, map_exceptions
from index import build_vectors, choose_spec, load_vectors, save_vectors


def test_every_error_is_a_chatbot_error_and_is_drawn_in_the_tree():
    ours = [value for value in vars(errors).values() if inspect.isclass(value) and issubclass(value, Exception)]
    assert {cls.__name__ for cls in ours} == {name for name in errors.__all__ if name.endswith("Error")}
    for cls in ours:
        assert issubclass(cls, ChatbotError)
        assert f"{cls.__name__} " in errors.__doc__ or f"{cls.__name__}\n" in errors.__doc__


def test_a_mapped_error_becomes_ours_with_the_message_and_the_cause():
    mapping = {MemoryError: StorageError, RuntimeError: ModelError}
    with (
        pytest.raises(ModelError, match=r"^The model failed: out of memory$") as caught,
        map_exceptions(mapping, "The model failed"),
    ):
        raise RuntimeError("out of memory")
    assert isinstance(caught.value.__cause__, RuntimeError)


@pytest.mark.parametrize(
    ("mapping", "raised"),
    [
        ({RuntimeError: ModelError}, KeyError("not named in the mapping")),
        ({Exception: ModelError}, IndexCorruptError("already ours")),
    ],
)
def test_ours_and_unnamed_errors_pass_through_unchanged(mapping: dict, raised: Exception):
    with pytest.raises(type(raised)) as caught, map_exceptions(mapping, "Never used"):
        raise raised
    assert caught.value is raised


def test_a_damaged_faiss_file_is_an_index_error_with_faiss_as_its_cause(tmp_path):
    path = tmp_path / "vectors.faiss"
    path.write_bytes(b"not a FAISS index at all")
    with pytest.raises(IndexCorruptError, match=r"^The vector index .* cannot be read: ") as caught:
        load_vectors(path, choose_spec(10))
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_a_faiss_write_that_fails_is_a_storage_error_with_faiss_as_its_cause(tmp_path):
    vectors = np.eye(4, 8, dtype=np.float32)
    built = build_vectors(vectors, choose_spec(len(vectors)))
    with pytest.raises(StorageError, match=r"^The vector index .* could not be written: ") as caught:
        save_vectors(built, tmp_path / "no such folder" / "vectors.faiss")
    assert isinstance(caught.value.__cause__, RuntimeError)
