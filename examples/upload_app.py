"""File uploads: one file or several, posted with HTMX; each upload is saved and described in a card.

Run `python examples/upload_app.py` and open http://127.0.0.1:5001. Files go to examples/uploads (or UPLOAD_DIR).
Only the base name of an uploaded file is used, so a crafted name like `../../x` cannot write outside that directory.
"""
import os
from pathlib import Path

from fasthtml.common import *

UPLOADS = Path(os.environ.get('UPLOAD_DIR') or Path(__file__).parent / 'uploads')
UPLOADS.mkdir(parents=True, exist_ok=True)

app, rt = fast_app(title='Uploads')


def FileCard(name, size, content_type):
    return Article(Header(H3(name)), Ul(Li('Size: ', size), Li('Content type: ', content_type)), cls='file-card')


async def store(file: UploadFile):
    "Save `file` under UPLOADS by its base name and describe it."
    name = Path(file.filename or 'unnamed').name or 'unnamed'
    data = await file.read()
    (UPLOADS / name).write_bytes(data)
    return FileCard(name, len(data), file.content_type)


@rt('/')
def get():
    one = Form(Input(type='file', name='file', required=True), Button('Upload', type='submit'),
               hx_post=upload, hx_target='#result-one', id='form-one')
    many = Form(Input(type='file', name='files', multiple=True, required=True), Button('Upload all', type='submit'),
                hx_post=upload_many, hx_target='#result-many', id='form-many')
    return Titled('File uploads',
                  H2('One file'), one, Div(id='result-one'),
                  H2('Several files'), many, Div(id='result-many'))


@rt
async def upload(file: UploadFile):
    return await store(file)


@rt
async def upload_many(files: list[UploadFile]):
    return [await store(f) for f in files]


serve()
