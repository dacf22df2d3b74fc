"""Forms: input validation for the pages (the API has its serializers)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from retrieval.parsing import formats_named


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        # An empty file becomes a document that fails with a reason, like any bad file.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [single(item, initial) for item in files]


class UploadForm(forms.Form):
    # The form's metaclass moves declared fields off the class, so `form.files` stays the
    # uploaded-files dict; the stubs cannot see that (and the field name is the HTML name).
    files = MultipleFileField(  # type: ignore[assignment]
        help_text=f"{formats_named()}; several at once if you like."
    )

    def clean_files(self) -> list[Any]:
        files: list[Any] = self.cleaned_data["files"]
        if len(files) > settings.UPLOAD_MAX_FILES:
            raise forms.ValidationError(f"At most {settings.UPLOAD_MAX_FILES} files per upload.")
        return files


class SearchForm(forms.Form):
    q = forms.CharField(label="Query", max_length=2000, required=False)
    k = forms.IntegerField(label="Results", min_value=1, max_value=50, required=False)
