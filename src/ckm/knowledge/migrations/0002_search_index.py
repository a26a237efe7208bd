"""Full-text search for articles, by database: SQLite FTS5 (an external-content table kept in step
by triggers, Porter stemming, a vocabulary table for typo correction) or PostgreSQL (a GIN index on
the weighted tsvector, pg_trgm on titles for typos). The expression in the PostgreSQL index is the
one ckm.knowledge.search uses, so the planner can use the index."""

from django.db import migrations, transaction

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE knowledge_article_fts USING fts5(
        title, summary, body_text, tags,
        content='knowledge_article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE VIRTUAL TABLE knowledge_article_fts_vocab USING fts5vocab(knowledge_article_fts, 'row')""",
    """CREATE TRIGGER knowledge_article_fts_ai AFTER INSERT ON knowledge_article BEGIN
        INSERT INTO knowledge_article_fts(rowid, title, summary, body_text, tags)
        VALUES (new.id, new.title, new.summary, new.body_text, new.tags);
    END""",
    """CREATE TRIGGER knowledge_article_fts_ad AFTER DELETE ON knowledge_article BEGIN
        INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, title, summary, body_text, tags)
        VALUES ('delete', old.id, old.title, old.summary, old.body_text, old.tags);
    END""",
    """CREATE TRIGGER knowledge_article_fts_au AFTER UPDATE OF title, summary, body_text, tags
    ON knowledge_article BEGIN
        INSERT INTO knowledge_article_fts(knowledge_article_fts, rowid, title, summary, body_text, tags)
        VALUES ('delete', old.id, old.title, old.summary, old.body_text, old.tags);
        INSERT INTO knowledge_article_fts(rowid, title, summary, body_text, tags)
        VALUES (new.id, new.title, new.summary, new.body_text, new.tags);
    END""",
    """INSERT INTO knowledge_article_fts(knowledge_article_fts) VALUES ('rebuild')""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_article_fts_au",
    "DROP TRIGGER IF EXISTS knowledge_article_fts_ad",
    "DROP TRIGGER IF EXISTS knowledge_article_fts_ai",
    "DROP TABLE IF EXISTS knowledge_article_fts_vocab",
    "DROP TABLE IF EXISTS knowledge_article_fts",
]

# keep in step with ckm.knowledge.search.PG_VECTOR
PG_VECTOR = (
    "(setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body_text, '')), 'C'))"
)
PG_FORWARD = [
    f"CREATE INDEX knowledge_article_fts_idx ON knowledge_article USING GIN ({PG_VECTOR})",
]
PG_TRGM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX knowledge_article_title_trgm ON knowledge_article USING GIN (title gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_article_title_trgm",
    "DROP INDEX IF EXISTS knowledge_article_fts_idx",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql)
        # pg_trgm needs a privilege some hosted databases do not grant; search then falls back
        # to edit distance on titles in Python
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                for sql in PG_TRGM:
                    schema_editor.execute(sql)
        except Exception:  # noqa: BLE001
            pass


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
