"""The admin's document upload goes through the upload service, owned by the staff user by default."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from app.models import Document


def test_admin_upload_is_owned_by_the_uploader_or_the_chosen_owner(client, make_user, ingestion) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("root", is_staff=True, is_superuser=True)
    bob = make_user("bob")
    client.force_login(admin)

    for name, owner in (("mine.md", ""), ("bobs.md", str(bob.pk))):
        upload = SimpleUploadedFile(name, f"# {name}\n\nGranite from Mull, for {name}.".encode())
        form = {"file": upload, "owner": owner, "collection": ""}
        response = client.post("/admin/groundwork/document/add/", form)
        assert response.status_code == 302, response.content[:2000]

    documents = {d.original_filename: d for d in Document.objects.select_related("owner")}
    assert documents["mine.md"].owner == admin
    assert documents["bobs.md"].owner == bob
    ingestion.wait(*(d.pk for d in documents.values()))
    assert {d.status for d in Document.objects.all()} == {Document.Status.INDEXED}
