from decimal import Decimal

from django import forms

TIP_PERCENTS = (15, 20, 25)


class TipForm(forms.Form):
    percent = forms.TypedChoiceField(
        label="Tip",
        choices=[(p, f"{p}%") for p in TIP_PERCENTS] + [("", "Another amount")],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    amount = forms.DecimalField(
        label="Another amount (USD)",
        required=False,
        min_value=Decimal("1.00"),
        max_digits=7,
        decimal_places=2,
    )

    def clean(self):
        data = super().clean()
        if data.get("amount") is None and data.get("percent") is None and not self.errors:
            raise forms.ValidationError("Choose a tip or enter an amount.")
        return data


class CardForm(forms.Form):
    setup_intent = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
