"""The JSON API v1 (INTERFACES §5): bearer tokens, thin JSON views over the same services
as the pages, RFC 9457 problem documents and an OpenAPI 3.1 document built from the
pydantic schemas that validate the requests."""
