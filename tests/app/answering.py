"""Asking a question in a test as the chat does: a new conversation, the answer run to its end."""

from __future__ import annotations

from app.models import Conversation
from app.services.answer_record import AnswerRecord
from app.services.answers import Answered, answer_question, run_answer, start_conversation
from app.users import User


def ask(user: User, question: str) -> tuple[Conversation, AnswerRecord]:
    """`question` asked by `user` in a new conversation; the conversation and the saved answer."""
    conversation = start_conversation(user, question)
    outcome = run_answer(answer_question(user, question, conversation=conversation))
    assert isinstance(outcome, Answered), outcome
    return conversation, outcome.done.record
