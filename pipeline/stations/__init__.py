"""Stations: upload keys, the station upload API (presigned PUTs), its client, IAM policies.

keys     create / rotate / revoke keys (scrypt-hashed at rest), authenticate a key
declare  the file list a station declares, checked against its manifest
rows     upload state in the ``station_uploads`` table
uploads  the service: begin (presigned URLs), complete (verify objects, write manifest)
limits   per-station rate limit, request body limit
models   request and response bodies; api  the FastAPI app
client   what ``inspectpipe upload --server URL`` uses; policy  MinIO IAM policy JSON
"""
