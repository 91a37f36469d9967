"""OSCAL documents as bytes: written with trestle's canonical serialization, read back with
trestle's models before they are handed out.

The bytes are RFC 8785 canonical JSON (sorted keys, no insignificant whitespace, UTF-8), the
document wrapped in its root key ("catalog", "assessment-results") with OSCAL's hyphenated
field names. Any tool that canonicalizes the JSON the same way arrives at the same SHA-256.
"""

import hashlib
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from trestle.core.base_model import OscalBaseModel
from trestle.oscal import assessment_results, catalog

from checklists.oscal.identifiers import stable_uuid

MEDIA_TYPE = "application/json"

# The root key of each document and trestle's model of the wrapped document.
WRAPPERS: dict[type[OscalBaseModel], type[BaseModel]] = {
    catalog.Catalog: catalog.Model,
    assessment_results.AssessmentResults: assessment_results.Model,
}


class OscalInvalid(Exception):
    """An export that does not read back as the OSCAL it claims to be: never handed out."""


@dataclass(frozen=True)
class OscalDocument:
    data: bytes
    filename: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


def to_bytes(document: OscalBaseModel) -> bytes:
    return document.oscal_serialize_json_bytes(canonical=True)


def read(data: bytes, document_class: type[OscalBaseModel]) -> OscalBaseModel:
    """Parse and validate `data` with trestle's model of the wrapped document; OscalInvalid
    names what is wrong."""
    wrapper = WRAPPERS[document_class]
    try:
        wrapped = wrapper.model_validate_json(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()[:5]
        )
        raise OscalInvalid(f"not a valid OSCAL {document_class.__name__}: {problems}") from error
    return next(iter(wrapped.__dict__.values()))


def checked_bytes(document: OscalBaseModel) -> bytes:
    """The document's bytes, once they have read back through trestle's model into the same
    document (what a reader gets is all that was written, and nothing else)."""
    data = to_bytes(document)
    if to_bytes(read(data, type(document))) != data:
        raise OscalInvalid(f"the {type(document).__name__} does not read back as it was written")
    return data


def with_content_uuid(document: OscalBaseModel, *names: object) -> OscalBaseModel:
    """The document with a UUID derived from its subject and its content: OSCAL gives a
    document a new UUID whenever it changes, and here the same content keeps the same one."""
    digest = hashlib.sha256(to_bytes(document)).hexdigest()
    return document.model_copy(update={"uuid": stable_uuid(*names, digest)})
