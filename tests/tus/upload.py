"""Uploads a file to Natter with tuspy, a third-party tus 1.0 client.

Usage: upload.py SERVER_URL IDENTIFIER USERSIG FILE

Sends the first quarter in 64 KiB chunks, then starts a second uploader on
the same upload URL (tuspy asks the server for the offset with HEAD) and
lets it finish. Prints one JSON line: the upload URL, the offset the second
uploader resumed from, and the download URL the server gave.
"""

import base64
import json
import os
import sys

import requests
from tusclient import client

server, identifier, usersig, path = sys.argv[1:5]
auth = "Basic " + base64.b64encode(f"{identifier}:{usersig}".encode()).decode()
tus = client.TusClient(server + "/media/tus", headers={"Authorization": auth})
metadata = {"filename": os.path.basename(path), "kind": "file"}

first = tus.uploader(path, chunk_size=64 * 1024, metadata=metadata)
quarter = os.path.getsize(path) // 4
while first.offset < quarter:
    first.upload_chunk()

second = tus.uploader(path, url=first.url, chunk_size=256 * 1024, metadata=metadata)
resumed_at = second.offset
second.upload()

head = requests.head(first.url, headers={"Authorization": auth, "Tus-Resumable": "1.0.0"})
head.raise_for_status()
print(json.dumps({
    "upload_url": first.url,
    "resumed_at": resumed_at,
    "offset": int(head.headers["Upload-Offset"]),
    "media_url": head.headers["Natter-Media-Url"],
}))
