"""The small form pages every app has: show a form, run a service on a valid POST."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


def show_refusal(form, error: Exception, field: str | None = None) -> None:
    """Show a service's refusal on the form: a ValidationError beside the fields it
    names (else on `field`, else on top), any other refusal's message on `field`."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    elif isinstance(error, ValidationError):
        form.add_error(field, error)
    else:
        form.add_error(field, str(error))


def form_page(
    request,
    form,
    save,
    *,
    template: str,
    done,
    success_url,
    refusals: tuple[type[Exception], ...] = (ValidationError,),
    refusal_field: str | None = None,
    **context,
):
    """On a valid POST run `save(cleaned_data)` (a service; a refusal it raises is shown
    on the form), say `done` and go to `success_url`; either may be a function of what
    `save` returned, `done` may give nothing to say, and `save` returning False means
    nothing changed. Otherwise (re)show the form in `template`."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except refusals as error:
            show_refusal(form, error, refusal_field)
        else:
            if result is False:
                messages.info(request, _("Nothing was changed."))
            elif message := done(result) if callable(done) else done:
                messages.success(request, message)
            return redirect(success_url(result) if callable(success_url) else success_url)
    return render(request, template, {"form": form, **context})
