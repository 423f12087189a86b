/* pg_schema.c -- the PostgreSQL schema, as forward-only numbered migrations.
 *
 * Migration N takes a database from version N-1 to N; store_pg.c applies
 * them in order under an advisory lock, each in its own transaction with
 * the schema_version row that records it. A shipped migration is never
 * edited: a change to the schema is a new entry at the end.
 *
 * The tables mirror sqlite_schema.c, so both backends mean the same thing
 * by every row. Times are bigint milliseconds since the epoch, UTC. Phone
 * numbers are compared byte for byte (COLLATE "C"): they are digits, and a
 * locale has no say in their order or equality.
 *
 * Every table that belongs to one group carries group_id in its primary
 * key, so the schema can be distributed by group id (Citus) as it stands:
 * see docs/DEPLOY.md. */
#include "store/pg_schema.h"

static const char *const migrations[] = {
    /* 1: devices, the directory, groups, the limits' counters, invitations. */
    "CREATE TABLE devices ("
    "  id bigserial PRIMARY KEY,"
    "  phone text COLLATE \"C\" NOT NULL UNIQUE,"
    "  created_at bigint NOT NULL"
    ");"
    /* Only the SHA-256 of a token is kept; see common/token.h. */
    "CREATE TABLE tokens ("
    "  hash bytea PRIMARY KEY CHECK (length(hash) = 32),"
    "  device_id bigint NOT NULL REFERENCES devices(id),"
    "  created_at bigint NOT NULL,"
    "  revoked_at bigint"
    ");"
    "CREATE INDEX tokens_by_device ON tokens(device_id);"
    "CREATE TABLE directory ("
    "  phone text COLLATE \"C\" PRIMARY KEY,"
    "  name text,"
    "  privacy smallint NOT NULL DEFAULT 0 CHECK (privacy IN (0, 1, 2))"
    ");"
    "CREATE TABLE directory_contacts ("
    "  phone text COLLATE \"C\" NOT NULL,"
    "  contact text COLLATE \"C\" NOT NULL,"
    "  PRIMARY KEY (phone, contact)"
    ");"
    "CREATE TABLE directory_blocks ("
    "  phone text COLLATE \"C\" NOT NULL,"
    "  blocked text COLLATE \"C\" NOT NULL,"
    "  PRIMARY KEY (phone, blocked)"
    ");"
    /* Ids come from groups_id_seq; a fixture that chooses its own id moves
     * the sequence past it (store_pg.c), so later inserts never collide. */
    "CREATE TABLE groups ("
    "  id bigserial PRIMARY KEY,"
    "  jid text NOT NULL UNIQUE,"
    "  subject text NOT NULL,"
    "  description text,"
    "  profile_url text,"
    "  allow_send boolean NOT NULL,"
    "  only_admins_can_send boolean NOT NULL,"
    "  only_admins_can_edit boolean NOT NULL,"
    "  disappearing text,"
    "  invite_code text COLLATE \"C\" NOT NULL UNIQUE,"
    "  created_by bigint NOT NULL REFERENCES devices(id),"
    "  created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL"
    ");"
    /* role: 0 member, 1 admin, 2 superadmin (the creator). */
    "CREATE TABLE participants ("
    "  group_id bigint NOT NULL REFERENCES groups(id),"
    "  phone text COLLATE \"C\" NOT NULL,"
    "  role smallint NOT NULL CHECK (role IN (0, 1, 2)),"
    "  joined_at bigint NOT NULL,"
    "  PRIMARY KEY (group_id, phone)"
    ");"
    "CREATE INDEX participants_by_phone ON participants(phone, group_id);"
    /* One row per add request counted in a group's sliding window; rows that
     * left the window are deleted by the next request to the group. */
    "CREATE TABLE rate_events ("
    "  group_id bigint NOT NULL,"
    "  id bigserial,"
    "  at_ms bigint NOT NULL,"
    "  PRIMARY KEY (group_id, id)"
    ");"
    "CREATE INDEX rate_events_by_group ON rate_events(group_id, at_ms);"
    /* day: days since 1970-01-01, UTC. */
    "CREATE TABLE daily_additions ("
    "  group_id bigint NOT NULL,"
    "  day bigint NOT NULL,"
    "  count bigint NOT NULL,"
    "  PRIMARY KEY (group_id, day)"
    ");"
    /* state: 0 pending, 1 accepted, 2 revoked; expiry is read off expires_at. */
    "CREATE TABLE invitations ("
    "  id bigserial PRIMARY KEY,"
    "  group_id bigint NOT NULL REFERENCES groups(id),"
    "  phone text COLLATE \"C\" NOT NULL,"
    "  code text COLLATE \"C\" NOT NULL UNIQUE,"
    "  created_at bigint NOT NULL,"
    "  expires_at bigint NOT NULL,"
    "  state smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"
    "  decided_at bigint"
    ");"
    "CREATE INDEX invitations_by_group ON invitations(group_id, phone);"
    /* The sandbox clock's offset: one row, shared by every process. */
    "CREATE TABLE clock ("
    "  id integer PRIMARY KEY CHECK (id = 1),"
    "  offset_ms bigint NOT NULL"
    ");"
    "INSERT INTO clock (id, offset_ms) VALUES (1, 0);",

    /* 2: messages sent to groups, idempotency keys, and the index the
     * invitation list reads by. */
    "CREATE TABLE messages ("
    "  id bigserial PRIMARY KEY,"
    "  public_id text COLLATE \"C\" NOT NULL UNIQUE,"
    "  group_id bigint NOT NULL REFERENCES groups(id),"
    "  sender text COLLATE \"C\" NOT NULL,"
    "  type text COLLATE \"C\" NOT NULL,"
    "  content text,"
    "  media_url text,"
    "  params text NOT NULL,"
    "  mentions text[] NOT NULL,"
    "  simulate_typing integer NOT NULL,"
    "  status text NOT NULL,"
    "  created_at bigint NOT NULL"
    ");"
    "CREATE INDEX messages_by_group ON messages(group_id, created_at);"
    "CREATE INDEX messages_by_sender ON messages(group_id, sender);"
    /* One row per (device, key): the first 2xx answer, kept 24 hours. */
    "CREATE TABLE idempotency ("
    "  device_id bigint NOT NULL,"
    "  key text COLLATE \"C\" NOT NULL,"
    "  method text NOT NULL,"
    "  path text NOT NULL,"
    "  body_sha bytea NOT NULL,"
    "  status integer NOT NULL,"
    "  response bytea NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  PRIMARY KEY (device_id, key)"
    ");"
    "CREATE INDEX idempotency_by_age ON idempotency(created_at);"
    "CREATE INDEX invitations_by_group_id ON invitations(group_id, id);",
};

size_t pg_schema_count(void)
{
    return sizeof(migrations) / sizeof(migrations[0]);
}

const char *pg_schema_migration(size_t version)
{
    if (version < 1 || version > pg_schema_count())
        return NULL;
    return migrations[version - 1];
}
