from piccolo.columns import DoublePrecision, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from media.similar import CROP_INDEX_STATEMENTS, INDEX_STATEMENTS


class Media(Table, tablename="media"):
    """One uploaded photo. The original is not kept (it carries EXIF); the derivatives are
    stored under content-hash keys, so two uploads of one photo share their files."""

    public_id = Varchar(length=32, unique=True)
    owner_kind = Varchar(length=8)  # citizen | staff (actor kinds)
    owner_id = Integer(index=True)
    sha256 = Varchar(length=64, index=True)  # of the original bytes
    phash = Varchar(length=16, index=True)  # 64-bit dHash, hex
    # 128-bit hash of the centre crop (media.transforms), indexed by its eight 16-bit pieces;
    # empty for photos stored before it existed.
    crop_hash = Varchar(length=32, default="")
    # What this photo is looked up by (its crop turned, mirrored, widened): comma-separated.
    probe_hashes = Text(default="")
    format = Varchar(length=8)  # JPEG | PNG | WEBP | HEIF, by magic bytes
    width = Integer()  # of the original, as displayed
    height = Integer()
    size_bytes = Integer()
    display_key = Varchar(length=200)
    thumb_key = Varchar(length=200)
    # EXIF hints as read at upload (the stored files no longer carry them).
    exif_taken_at = Timestamptz(null=True, default=None)
    exif_lat = DoublePrecision(null=True, default=None)
    exif_lon = DoublePrecision(null=True, default=None)
    uploaded_at = Timestamptz(default=TimestamptzNow(), index=True)
    # What uses the photo, e.g. "case:42": set once, by the owning domain's service.
    attached_to = Varchar(length=64, null=True, default=None, index=True)
    attached_at = Timestamptz(null=True, default=None)

    # Expression indexes Piccolo columns cannot declare (media.similar): PostgreSQL gets them
    # from a migration, SQLite from core.schema.
    raw_indexes = INDEX_STATEMENTS + CROP_INDEX_STATEMENTS
