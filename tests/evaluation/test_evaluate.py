"""Evaluation end to end on tiny cuts of SciFact and SQuAD: real ingestion, encoder and model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from app.evaluation import beir, squad
from app.evaluation.corpus import EVALUATION_USERNAME
from app.evaluation.evaluate import evaluate
from app.evaluation.output import write_json
from app.evaluation.report import render_standalone
from app.evaluation.runs import EvaluationError, Params
from app.models import Chunk, Collection, Conversation, Document, EvaluationItem, EvaluationRun
from app.services.search import search_chunks
from tests.evaluation.conftest import HOSTILE

pytestmark = pytest.mark.usefixtures("isolated_index")


def test_beir_run_end_to_end(db, tiny_beir, tmp_path, make_user):  # type: ignore[no-untyped-def]
    out, html = tmp_path / "out.json", tmp_path / "report.html"
    run = evaluate(tiny_beir)
    write_json(run, out)
    html.write_text(render_standalone(run))

    assert run.status == EvaluationRun.Status.COMPLETE and run.finished_at is not None
    assert run.kind == "beir" and run.items_done == run.items_total == 3
    assert set(run.metrics["retrieval"]) == {"dense", "bm25", "hybrid"}
    for figures in run.metrics["retrieval"].values():
        assert all(0.0 <= value <= 1.0 for value in figures.values())
    dense = run.metrics["retrieval"]["dense"]
    # Ten documents: every one is ranked, so all relevant ones are in the top 10. This
    # fails if chunks are not mapped back to the dataset's document ids.
    assert dense["recall@10"] == 1.0 and dense["recall@100"] == 1.0
    assert dense["ndcg@10"] > 0.3
    assert run.config["documents"] == 10 and run.config["documents_failed"] == 0
    assert run.config["encoder"] and run.config["chunk_tokens"] and run.config["chunks"] >= 10

    # The dataset lives apart from people's documents.
    collection = Collection.objects.get(pk=run.config["collection_id"])
    assert collection.is_evaluation and collection.owner.username == EVALUATION_USERNAME
    assert not collection.owner.is_active
    assert Document.objects.filter(collection=collection, status=Document.Status.INDEXED).count() == 10
    assert search_chunks(make_user("alice"), "cerebral white matter diffusion tensor") == []

    saved = json.loads(out.read_text())
    assert saved["metrics"] == run.metrics and len(saved["items"]) == 3
    report = html.read_text()
    assert "Recall@k" in report and "<svg" in report
    assert HOSTILE not in report and "&lt;script&gt;" in report


def test_corpus_is_reused_for_the_same_dataset_and_configuration(db, tiny_beir, settings):  # type: ignore[no-untyped-def]
    first = evaluate(tiny_beir, Params(modes=("dense",)))
    documents = set(Document.objects.values_list("id", flat=True))
    second = evaluate(tiny_beir, Params(modes=("dense",)))
    assert second.config["collection_id"] == first.config["collection_id"]
    assert set(Document.objects.values_list("id", flat=True)) == documents
    assert "ingest_s" in first.metrics["timings"] and "ingest_s" not in second.metrics["timings"]
    assert second.metrics["retrieval"] == first.metrics["retrieval"]

    # A corpus indexed by a version without sentence vectors gets them before it is reused,
    # so evaluation measures the search people get.
    Chunk.objects.update(sentence_embeddings=None)
    again = evaluate(tiny_beir, Params(modes=("dense",)))
    assert not Chunk.objects.filter(sentence_embeddings__isnull=True).exists()
    assert again.metrics["retrieval"] == first.metrics["retrieval"]

    settings.CHUNK_TOKENS = 64  # another chunking is another corpus
    third = evaluate(tiny_beir, Params(modes=("dense",)))
    assert third.config["collection_id"] != first.config["collection_id"]
    assert third.config["chunks"] > first.config["chunks"]


def test_beir_resume_skips_done_items(db, tiny_beir, monkeypatch, settings):  # type: ignore[no-untyped-def]
    calls: list[str] = []
    real = beir.ranking_result

    def flaky(query, relevance, rankings):  # type: ignore[no-untyped-def]
        calls.append(query)
        if len(calls) == 2 and not resuming:
            raise RuntimeError("the machine went away")
        return real(query, relevance, rankings)

    monkeypatch.setattr(beir, "ranking_result", flaky)
    resuming = False
    with pytest.raises(RuntimeError):
        evaluate(tiny_beir)
    run = EvaluationRun.objects.get()
    assert run.status == EvaluationRun.Status.FAILED and "went away" in run.failure_reason
    first = EvaluationItem.objects.get(run=run)

    calls.clear()
    resuming = True
    resumed = evaluate(tiny_beir, resume=True)
    assert resumed.pk == run.pk and resumed.status == EvaluationRun.Status.COMPLETE
    assert len(calls) == 2  # only the two queries not done before
    assert EvaluationItem.objects.filter(run=run).count() == 3
    assert EvaluationItem.objects.get(pk=first.pk).result == first.result
    with pytest.raises(EvaluationError, match="already complete"):
        evaluate(resume=run.pk)


def test_resume_refuses_a_changed_configuration(db, tiny_beir, monkeypatch, settings):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(beir, "ranking_result", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        evaluate(tiny_beir, Params(modes=("dense",)))
    run = EvaluationRun.objects.get()
    settings.CHUNK_OVERLAP_TOKENS = 8
    with pytest.raises(EvaluationError, match="configuration changed"):
        evaluate(resume=run.pk)


def test_command_writes_json_and_reports_bad_input(db, tiny_beir, tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "results.json"
    call_command("evaluate", str(tiny_beir), "--modes", "dense,bm25", "--no-progress", "--output", str(out))
    saved = json.loads(out.read_text())
    assert saved["status"] == "complete" and set(saved["metrics"]["retrieval"]) == {"dense", "bm25"}

    # Summaries are derived from the saved items, and can be derived again.
    run = EvaluationRun.objects.get(pk=saved["id"])
    EvaluationRun.objects.filter(pk=run.pk).update(metrics={"timings": run.metrics["timings"]})
    call_command("evaluate", "--resummarize", str(run.pk), "--output", str(out))
    run.refresh_from_db()
    assert run.metrics == saved["metrics"] and json.loads(out.read_text())["metrics"] == saved["metrics"]
    with pytest.raises(CommandError, match="no evaluation run"):
        call_command("evaluate", "--resummarize", "999999")

    with pytest.raises(CommandError, match="expected a BEIR folder"):
        call_command("evaluate", str(tmp_path / "nowhere"), "--no-progress")
    with pytest.raises(CommandError, match="oracle"):
        call_command("evaluate", str(tiny_beir), "--oracle", "--no-progress")


def test_report_pages_are_for_staff_only(db, client, make_user, tiny_beir):  # type: ignore[no-untyped-def]
    run = evaluate(tiny_beir, Params(modes=("dense",)))
    urls = ["/evaluations/", f"/evaluations/{run.pk}/", f"/evaluations/{run.pk}/json/"]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url

    client.force_login(make_user("bob"))
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert "/evaluations/" not in client.get("/documents/").content.decode()

    client.force_login(make_user("admin", is_staff=True))
    listing = client.get("/evaluations/").content.decode()
    assert (
        f"/evaluations/{run.pk}/" in listing and "scifact-tiny/test" in listing and "NDCG@10 dense" in listing
    )
    page = client.get(f"/evaluations/{run.pk}/").content.decode()
    assert "Recall@k" in page and "<svg" in page
    assert HOSTILE not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert client.get(f"/evaluations/{run.pk}/json/").json()["metrics"] == run.metrics
    assert 'href="/evaluations/"' in client.get("/documents/").content.decode()


@pytest.mark.slow
def test_squad_run_with_retrieval_answer_modes_and_oracle(db, tiny_squad):  # type: ignore[no-untyped-def]
    run = evaluate(tiny_squad, Params(max_new_tokens=16, answer_modes=("extract", "free")))
    assert run.status == EvaluationRun.Status.COMPLETE and run.items_done == 3
    retrieval = run.metrics["retrieval"]["hybrid"]
    assert all(0.0 <= v <= 1.0 for v in retrieval.values())
    # Four paragraphs of one article: the gold one is always among the top 5 chunks.
    assert retrieval["recall@5"] == 1.0
    assert set(run.metrics["answer_modes"]) == {"extract", "free"}
    for mode, figures in run.metrics["answer_modes"].items():
        for name in ("em", "f1", "contained", "evidence_top1", "evidence_top3", "shown_contained"):
            assert 0.0 <= figures[name] <= 1.0, (mode, name)
        assert figures["evidence_top1"] <= figures["evidence_top3"] <= figures["shown_contained"] + 1e-9
        assert figures["repeated"] == 0
    assert run.metrics["answers"] == run.metrics["answer_modes"]["extract"]
    items = [item.result for item in run.items.all()]
    for r in items:
        extract = r["modes"]["extract"]
        assert extract["evidence"] and extract["stats"]["generated_tokens"] <= 16
        # Extract mode copies: its answer is a piece of an evidence quote.
        assert extract["abstained"] or any(extract["answer"].strip() in q for q in extract["evidence"])
        assert "gold_removed" in r and isinstance(r["gold_removed"]["abstained"], bool)
    assert run.metrics["abstention"]["gold_removed_n"] == 3 and run.metrics["abstention"]["curve"]
    assert run.metrics["latency"]["time_to_first_token_s"]["p50"] > 0
    assert run.params["max_new_tokens"] == 16 and run.config["generator"]
    # Answers are asked in throwaway conversations of the evaluation user.
    assert not Conversation.objects.exists()

    oracle = evaluate(tiny_squad, Params(max_new_tokens=16, oracle=True, answer_modes=("extract",)))
    assert oracle.config["collection_id"] == run.config["collection_id"]
    assert oracle.metrics["answers"]["passage_hit_rate"] == 1.0
    for item in oracle.items.all():
        assert "gold_removed" not in item.result


@pytest.mark.slow
def test_squad_resume_asks_only_the_missing_questions(db, tiny_squad, monkeypatch):  # type: ignore[no-untyped-def]
    asked: list[str] = []
    real = squad._ask

    def flaky(ctx, question, options, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(question.key)
        if len(asked) == 2 and not resuming:
            raise KeyboardInterrupt  # Ctrl-C: the run stays "running"
        return real(ctx, question, options, **kwargs)

    monkeypatch.setattr(squad, "_ask", flaky)
    resuming = False
    params = Params(max_new_tokens=8, answer_modes=("extract",), gold_removed=False)
    with pytest.raises(KeyboardInterrupt):
        evaluate(tiny_squad, params)
    run = EvaluationRun.objects.get()
    assert run.status == EvaluationRun.Status.RUNNING and run.items_done == 1
    done = EvaluationItem.objects.get(run=run)

    asked.clear()
    resuming = True
    resumed = evaluate(Path(tiny_squad), resume=True)
    assert resumed.pk == run.pk and resumed.status == EvaluationRun.Status.COMPLETE
    assert done.key not in asked and len(asked) == 2
    assert resumed.items.count() == 3 and resumed.params["max_new_tokens"] == 8


def test_answer_budget_defaults_to_the_chats(settings) -> None:  # type: ignore[no-untyped-def]
    # Evaluation measures the answers people get: the same length cap as the chat's.
    settings.GENERATOR_MAX_NEW_TOKENS = 77
    assert Params().max_new_tokens == 77
    assert Params(max_new_tokens=16).max_new_tokens == 16
