"""``python -m evaluation FILE.jsonl``: the evaluation harness's command (see ``evaluation.harness``)."""

import sys

from evaluation.harness import main

sys.exit(main())
