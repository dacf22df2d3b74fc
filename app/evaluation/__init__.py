"""Built-in evaluation: measure retrieval and answers on public datasets (docs/evaluation.md).

`evaluate` (in `runner`) is the entry point; `metrics` holds the pure metric functions.
Import `runner` explicitly: this package stays light so the metrics load without torch.
"""
