"""A handful of realistic grounded questions over team documents, with the passage that
answers each. Used to measure how often the model cites (app.benchmarks.generation.measure_citations) and by
the tests as realistic inputs. Hand-written; each answer is in exactly one passage."""

from __future__ import annotations

from dataclasses import dataclass

from generation.types import Passage


@dataclass(frozen=True)
class Case:
    question: str
    passages: tuple[Passage, ...]
    answer_index: int  # 1-based number of the passage holding the answer


def _p(chunk_id: int, title: str, page: int | None, heading: str, text: str) -> Passage:
    return Passage(chunk_id, text, title, page, heading, 1.0 / chunk_id)


CASES: tuple[Case, ...] = (
    Case(
        "How many vacation days do full-time employees get per year?",
        (
            _p(
                11,
                "Employee Handbook 2024",
                7,
                "Paid time off",
                "Full-time employees receive 25 days of paid vacation per calendar year. Unused "
                "days, up to five, can be carried over to the first quarter of the next year.",
            ),
            _p(
                12,
                "Employee Handbook 2024",
                9,
                "Sick leave",
                "Sick leave is not counted against vacation. From the fourth day of illness a "
                "doctor's note must be sent to the HR team.",
            ),
            _p(
                13,
                "Employee Handbook 2024",
                3,
                "Working hours",
                "Core hours are 10:00 to 16:00. Outside core hours, employees plan their own "
                "time, as long as the weekly total matches their contract.",
            ),
        ),
        1,
    ),
    Case(
        "Which command rolls back a failed deployment?",
        (
            _p(
                21,
                "Platform Runbook",
                4,
                "Deploying",
                "Deployments run through the deploy pipeline. A deployment is started with "
                "`deployctl release <service>` after the change has two approvals.",
            ),
            _p(
                22,
                "Platform Runbook",
                6,
                "Rollback",
                "To roll back a failed deployment, run `deployctl rollback <service>`. It "
                "restores the previous release within about two minutes.",
            ),
            _p(
                23,
                "Platform Runbook",
                11,
                "On-call",
                "The on-call engineer is paged for any failed deployment in production and "
                "must acknowledge the page within 15 minutes.",
            ),
        ),
        2,
    ),
    Case(
        "What is the rate limit of the public API?",
        (
            _p(
                31,
                "Public API Reference",
                2,
                "Authentication",
                "Every request needs an API key in the Authorization header. Keys are created "
                "in the account settings and can be revoked at any time.",
            ),
            _p(
                32,
                "Public API Reference",
                3,
                "Errors",
                "Errors are returned as JSON with a code and a message. A 404 means the "
                "resource does not exist or the key may not see it.",
            ),
            _p(
                33,
                "Public API Reference",
                5,
                "Rate limits",
                "The public API allows 600 requests per minute per API key. Requests above the "
                "limit receive status 429 and a Retry-After header.",
            ),
        ),
        3,
    ),
    Case(
        "When is the office closed for the holidays?",
        (
            _p(
                41,
                "Office Guide",
                1,
                "Opening hours",
                "The office is closed from December 24 to January 1. During that time the "
                "building can only be entered with a key card.",
            ),
            _p(
                42,
                "Office Guide",
                2,
                "Visitors",
                "Visitors sign in at the front desk and wear a visitor badge. They must be "
                "accompanied by an employee at all times.",
            ),
        ),
        1,
    ),
    Case(
        "Who approves travel expenses?",
        (
            _p(
                51,
                "Finance Policy",
                12,
                "Travel",
                "Train travel is preferred for trips under 500 kilometres. Flights need to be "
                "booked through the travel portal.",
            ),
            _p(
                52,
                "Finance Policy",
                14,
                "Approvals",
                "Travel expenses are approved by the employee's team lead. Amounts above "
                "2,000 euros also need approval from the finance director.",
            ),
            _p(
                53,
                "Finance Policy",
                15,
                "Reimbursement",
                "Expenses are reimbursed with the next monthly salary when the receipts are "
                "submitted before the 20th of the month.",
            ),
        ),
        2,
    ),
    Case(
        "How long are database backups kept?",
        (
            _p(
                61,
                "Data Retention Standard",
                3,
                "Backups",
                "Production databases are backed up every night. Backups are kept for 35 days "
                "and are encrypted at rest.",
            ),
            _p(
                62,
                "Data Retention Standard",
                4,
                "Logs",
                "Application logs are kept for 90 days. Audit logs are kept for seven years.",
            ),
        ),
        1,
    ),
    Case(
        "What was decided about the release date of version 3?",
        (
            _p(
                71,
                "Product Meeting Notes",
                None,
                "2024-03-04",
                "The team discussed the new onboarding flow. Design will share mockups next week.",
            ),
            _p(
                72,
                "Product Meeting Notes",
                None,
                "2024-03-11",
                "It was decided to move the release of version 3 to April 15, because the "
                "migration tool needs two more weeks of testing.",
            ),
            _p(
                73,
                "Product Meeting Notes",
                None,
                "2024-03-18",
                "Support asked for a changelog page. Marketing will prepare the announcement.",
            ),
        ),
        2,
    ),
    Case(
        "Which port does the metrics exporter listen on?",
        (
            _p(
                81,
                "Monitoring Setup",
                2,
                "Exporter",
                "The metrics exporter listens on port 9187 and exposes Prometheus metrics at "
                "the /metrics path.",
            ),
            _p(
                82,
                "Monitoring Setup",
                3,
                "Alerts",
                "Alerts are routed to the on-call channel. Critical alerts also page the on-call engineer.",
            ),
            _p(
                83,
                "Monitoring Setup",
                5,
                "Dashboards",
                "Dashboards are stored as code in the monitoring repository and deployed with each release.",
            ),
        ),
        1,
    ),
)
