"""Request bodies shared by several endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PersonFieldsIn(BaseModel):
    """A customer's name, contact details and address as staff or a POS type them (validated again later)."""

    model_config = ConfigDict(extra="forbid")
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    personal_id: str | None = Field(None, max_length=20)
    street: str | None = Field(None, max_length=400)
    postal_code: str | None = Field(None, max_length=40)
    city: str | None = Field(None, max_length=200)
    country: str | None = Field(None, max_length=2)
