/* schema.c -- the schema, as forward-only numbered migrations, each written
 * for both dialects side by side so that neither can move alone.
 *
 * Migration N takes a database from version N-1 to N (migrate.c applies
 * them). A shipped migration is never edited: a change to the schema is a
 * new entry at the end, in both dialects. Times are integers, milliseconds
 * since the epoch, UTC.
 *
 * Both schemas mean the same thing by every row. Where they differ, it is
 * on purpose, and only here:
 *   - types: SQLite's INTEGER/TEXT/BLOB against bigint/smallint/boolean/
 *     text/bytea; PostgreSQL compares numbers byte for byte (COLLATE "C"):
 *     they are digits, and a locale has no say in their order or equality;
 *   - messages.mentions: SQLite keeps the numbers as one text separated by
 *     single spaces, PostgreSQL as text[] (the store converts in SQL, so
 *     both answer the same text);
 *   - rate_events: two events of one group in one millisecond are told
 *     apart by a random seq in SQLite (the table is clustered by group, one
 *     B-tree) and by a serial id in PostgreSQL;
 *   - groups.id and the other serial ids: SQLite's rowids against
 *     PostgreSQL's sequences; a fixture that chooses its own group id moves
 *     groups_id_seq past it (ops.c);
 *   - idempotency: SQLite has a rowid besides its unique (device_id, key),
 *     PostgreSQL makes (device_id, key) the primary key.
 *
 * In PostgreSQL every table that belongs to one group carries group_id in
 * its primary key, so the schema can be distributed by group id (Citus) as
 * it stands: see docs/DEPLOY.md. */
#include "store/schema.h"

/* 1: devices, the directory, groups, the limits' counters, invitations. */
static const char sqlite_1[] =
    "CREATE TABLE devices ("
    "  id INTEGER PRIMARY KEY,"
    "  phone TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL"
    ");"
    /* Only the SHA-256 of a token is kept; see common/token.h. */
    "CREATE TABLE tokens ("
    "  hash BLOB PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id),"
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER"
    ") WITHOUT ROWID;"
    "CREATE INDEX tokens_by_device ON tokens(device_id);"
    "CREATE TABLE directory ("
    "  phone TEXT PRIMARY KEY,"
    "  name TEXT,"
    "  privacy INTEGER NOT NULL DEFAULT 0 CHECK (privacy IN (0, 1, 2))"
    ") WITHOUT ROWID;"
    "CREATE TABLE directory_contacts ("
    "  phone TEXT NOT NULL,"
    "  contact TEXT NOT NULL,"
    "  PRIMARY KEY (phone, contact)"
    ") WITHOUT ROWID;"
    "CREATE TABLE directory_blocks ("
    "  phone TEXT NOT NULL,"
    "  blocked TEXT NOT NULL,"
    "  PRIMARY KEY (phone, blocked)"
    ") WITHOUT ROWID;"
    "CREATE TABLE groups ("
    "  id INTEGER PRIMARY KEY,"
    "  jid TEXT NOT NULL UNIQUE,"
    "  subject TEXT NOT NULL,"
    "  description TEXT,"
    "  profile_url TEXT,"
    "  allow_send INTEGER NOT NULL,"
    "  only_admins_can_send INTEGER NOT NULL,"
    "  only_admins_can_edit INTEGER NOT NULL,"
    "  disappearing TEXT,"
    "  invite_code TEXT NOT NULL UNIQUE,"
    "  created_by INTEGER NOT NULL REFERENCES devices(id),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    /* role: 0 member, 1 admin, 2 superadmin (the creator). */
    "CREATE TABLE participants ("
    "  group_id INTEGER NOT NULL REFERENCES groups(id),"
    "  phone TEXT NOT NULL,"
    "  role INTEGER NOT NULL CHECK (role IN (0, 1, 2)),"
    "  joined_at INTEGER NOT NULL,"
    "  PRIMARY KEY (group_id, phone)"
    ") WITHOUT ROWID;"
    "CREATE INDEX participants_by_phone ON participants(phone, group_id);"
    /* One row per add request counted in a group's sliding window; rows that
     * left the window are deleted by the next request to the group. */
    "CREATE TABLE rate_events ("
    "  id INTEGER PRIMARY KEY,"
    "  group_id INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX rate_events_by_group ON rate_events(group_id, at_ms);"
    /* day: days since 1970-01-01, UTC. */
    "CREATE TABLE daily_additions ("
    "  group_id INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  PRIMARY KEY (group_id, day)"
    ") WITHOUT ROWID;"
    /* state: 0 pending, 1 accepted, 2 revoked; expiry is read off expires_at. */
    "CREATE TABLE invitations ("
    "  id INTEGER PRIMARY KEY,"
    "  group_id INTEGER NOT NULL REFERENCES groups(id),"
    "  phone TEXT NOT NULL,"
    "  code TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"
    "  decided_at INTEGER"
    ");"
    "CREATE INDEX invitations_by_group ON invitations(group_id, phone);"
    /* The sandbox clock's offset: one row, shared by every connection. */
    "CREATE TABLE clock ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  offset_ms INTEGER NOT NULL"
    ");"
    "INSERT INTO clock (id, offset_ms) VALUES (1, 0);";

/* 1, PostgreSQL. */
static const char postgres_1[] =
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
     * the sequence past it (ops.c), so later inserts never collide. */
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
    "INSERT INTO clock (id, offset_ms) VALUES (1, 0);";

/* 2: messages sent to groups, idempotency keys, and the indexes the
 * group list and the invitation list read by. */
/* mentions: the mentioned numbers separated by single spaces ("" for
 * none); numbers never contain one. */
static const char sqlite_2[] = "CREATE TABLE messages ("
                               "  id INTEGER PRIMARY KEY,"
                               "  public_id TEXT NOT NULL UNIQUE,"
                               "  group_id INTEGER NOT NULL REFERENCES groups(id),"
                               "  sender TEXT NOT NULL,"
                               "  type TEXT NOT NULL,"
                               "  content TEXT,"
                               "  media_url TEXT,"
                               "  params TEXT NOT NULL,"
                               "  mentions TEXT NOT NULL,"
                               "  simulate_typing INTEGER NOT NULL,"
                               "  status TEXT NOT NULL,"
                               "  created_at INTEGER NOT NULL"
                               ");"
                               "CREATE INDEX messages_by_group ON messages(group_id, created_at);"
                               "CREATE INDEX messages_by_sender ON messages(group_id, sender);"
                               /* One row per (device, key): the first 2xx answer, kept 24 hours. */
                               "CREATE TABLE idempotency ("
                               "  id INTEGER PRIMARY KEY,"
                               "  device_id INTEGER NOT NULL,"
                               "  key TEXT NOT NULL,"
                               "  method TEXT NOT NULL,"
                               "  path TEXT NOT NULL,"
                               "  body_sha BLOB NOT NULL,"
                               "  status INTEGER NOT NULL,"
                               "  response BLOB NOT NULL,"
                               "  created_at INTEGER NOT NULL,"
                               "  UNIQUE (device_id, key)"
                               ");"
                               "CREATE INDEX idempotency_by_age ON idempotency(created_at);"
                               "CREATE INDEX invitations_by_group_id ON invitations(group_id, id);";

/* 2, PostgreSQL. */
static const char postgres_2[] =
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
    "CREATE INDEX invitations_by_group_id ON invitations(group_id, id);";

/* SQLite's triggers that keep device_groups equal to "participants whose
 * number is a device's" (migration 3; migration 4 makes them again after
 * rebuilding participants). One text for both, so they cannot differ. */
#define SQLITE_DEVICE_GROUPS_TRIGGERS                                                    \
    "CREATE TRIGGER device_groups_join AFTER INSERT ON participants"                     \
    "  WHEN EXISTS (SELECT 1 FROM devices WHERE phone = NEW.phone)"                      \
    "  BEGIN"                                                                            \
    "    INSERT OR IGNORE INTO device_groups (phone, group_id, joined_at)"               \
    "      VALUES (NEW.phone, NEW.group_id, NEW.joined_at);"                             \
    "  END;"                                                                             \
    "CREATE TRIGGER device_groups_leave AFTER DELETE ON participants"                    \
    "  BEGIN"                                                                            \
    "    DELETE FROM device_groups WHERE phone = OLD.phone AND group_id = OLD.group_id;" \
    "  END;"                                                                             \
    "CREATE TRIGGER device_groups_fill AFTER INSERT ON devices"                          \
    "  BEGIN"                                                                            \
    "    INSERT OR IGNORE INTO device_groups (phone, group_id, joined_at)"               \
    "      SELECT phone, group_id, joined_at FROM participants WHERE phone = NEW.phone;" \
    "  END;"

/* 3: fewer pages written per add request (docs/PERFORMANCE.md).
 *
 * participants_by_phone put every added participant in a random place
 * of a second B-tree: ten added people, ten pages to write. Only devices
 * ever list "my groups", so only their memberships are indexed by
 * number, in device_groups, which the triggers below keep equal to
 * "participants whose number is a device's". Filling it for a new
 * device scans participants once; devices are created rarely. */
static const char sqlite_3[] =
    "CREATE TABLE device_groups ("
    "  phone TEXT NOT NULL,"
    "  group_id INTEGER NOT NULL,"
    "  joined_at INTEGER NOT NULL,"
    "  PRIMARY KEY (phone, group_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX device_groups_by_join ON device_groups(phone, joined_at, group_id);"
    "INSERT INTO device_groups (phone, group_id, joined_at)"
    "  SELECT p.phone, p.group_id, p.joined_at FROM participants p"
    "  JOIN devices d ON d.phone = p.phone;" SQLITE_DEVICE_GROUPS_TRIGGERS
    "DROP INDEX participants_by_phone;"
    /* A group's rate events side by side in one B-tree (the table was a
     * rowid table plus an index: two pages per request). seq only makes
     * two events of the same millisecond distinct. */
    "CREATE TABLE rate_events_clustered ("
    "  group_id INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (group_id, at_ms, seq)"
    ") WITHOUT ROWID;"
    "INSERT INTO rate_events_clustered SELECT group_id, at_ms, id FROM rate_events;"
    "DROP TABLE rate_events;"
    "ALTER TABLE rate_events_clustered RENAME TO rate_events;";

/* 3, PostgreSQL: the same rows as SQLite's 3. Memberships of devices'
 * numbers move from the index participants_by_phone to device_groups, kept
 * by triggers. Unlike SQLite's one writer, two transactions run at once
 * here: one creating a device while another adds its number to a group
 * would each miss the other's row. So both triggers first take a
 * transaction-scoped advisory lock on the number (exclusive to create the
 * device, shared to add a participant): the second waits for the first to
 * commit, and then sees its row. (The two-key form: a key space of its own,
 * apart from the idempotency locks'.) rate_events keeps its serial id (see
 * the top). */
static const char postgres_3[] =
    "CREATE TABLE device_groups ("
    "  phone text COLLATE \"C\" NOT NULL,"
    "  group_id bigint NOT NULL,"
    "  joined_at bigint NOT NULL,"
    "  PRIMARY KEY (phone, group_id)"
    ");"
    "CREATE INDEX device_groups_by_join ON device_groups(phone, joined_at, group_id);"
    "INSERT INTO device_groups (phone, group_id, joined_at)"
    "  SELECT p.phone, p.group_id, p.joined_at FROM participants p"
    "  JOIN devices d ON d.phone = p.phone;"
    "CREATE FUNCTION device_groups_join() RETURNS trigger LANGUAGE plpgsql AS $$"
    "  BEGIN"
    "    PERFORM pg_advisory_xact_lock_shared(1, hashtext(NEW.phone));"
    "    IF EXISTS (SELECT 1 FROM devices WHERE phone = NEW.phone) THEN"
    "      INSERT INTO device_groups (phone, group_id, joined_at)"
    "        VALUES (NEW.phone, NEW.group_id, NEW.joined_at) ON CONFLICT DO NOTHING;"
    "    END IF;"
    "    RETURN NULL;"
    "  END $$;"
    "CREATE TRIGGER device_groups_join AFTER INSERT ON participants"
    "  FOR EACH ROW EXECUTE FUNCTION device_groups_join();"
    "CREATE FUNCTION device_groups_leave() RETURNS trigger LANGUAGE plpgsql AS $$"
    "  BEGIN"
    "    DELETE FROM device_groups WHERE phone = OLD.phone AND group_id = OLD.group_id;"
    "    RETURN NULL;"
    "  END $$;"
    "CREATE TRIGGER device_groups_leave AFTER DELETE ON participants"
    "  FOR EACH ROW EXECUTE FUNCTION device_groups_leave();"
    "CREATE FUNCTION device_groups_fill() RETURNS trigger LANGUAGE plpgsql AS $$"
    "  BEGIN"
    "    PERFORM pg_advisory_xact_lock(1, hashtext(NEW.phone));"
    "    INSERT INTO device_groups (phone, group_id, joined_at)"
    "      SELECT phone, group_id, joined_at FROM participants WHERE phone = NEW.phone"
    "      ON CONFLICT DO NOTHING;"
    "    RETURN NULL;"
    "  END $$;"
    "CREATE TRIGGER device_groups_fill AFTER INSERT ON devices"
    "  FOR EACH ROW EXECUTE FUNCTION device_groups_fill();"
    "DROP INDEX participants_by_phone;";

/* 4 (docs/PERFORMANCE.md has the measurements): the CHECKs on role, state
 * and privacy spelled as ranges, and a directory entry says whether the
 * person has a contact list and a block list.
 *
 * SQLite builds an ephemeral B-tree for an IN list every time a row is
 * written (about 20,000 instructions per insert), so the tables are rebuilt
 * with the same constraints as BETWEEN. The triggers of migration 3 are
 * dropped first and made again (renaming a table re-reads every trigger,
 * and device_groups_fill names participants).
 *
 * has_contacts and has_blocks let the directory's facts look into those
 * lists only for someone who has one (few do): the same answers, with two
 * page lookups fewer per number asked about. ops.c keeps them true to the
 * lists. */
static const char sqlite_4[] =
    "DROP TRIGGER device_groups_join;"
    "DROP TRIGGER device_groups_leave;"
    "DROP TRIGGER device_groups_fill;"
    "CREATE TABLE participants_new ("
    "  group_id INTEGER NOT NULL REFERENCES groups(id),"
    "  phone TEXT NOT NULL,"
    "  role INTEGER NOT NULL CHECK (role BETWEEN 0 AND 2),"
    "  joined_at INTEGER NOT NULL,"
    "  PRIMARY KEY (group_id, phone)"
    ") WITHOUT ROWID;"
    "INSERT INTO participants_new SELECT group_id, phone, role, joined_at FROM participants;"
    "DROP TABLE participants;"
    "ALTER TABLE participants_new RENAME TO participants;"
    "CREATE TABLE invitations_new ("
    "  id INTEGER PRIMARY KEY,"
    "  group_id INTEGER NOT NULL REFERENCES groups(id),"
    "  phone TEXT NOT NULL,"
    "  code TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 2),"
    "  decided_at INTEGER"
    ");"
    "INSERT INTO invitations_new SELECT id, group_id, phone, code, created_at, expires_at,"
    "  state, decided_at FROM invitations;"
    "DROP TABLE invitations;"
    "ALTER TABLE invitations_new RENAME TO invitations;"
    "CREATE INDEX invitations_by_group ON invitations(group_id, phone);"
    "CREATE INDEX invitations_by_group_id ON invitations(group_id, id);"
    "CREATE TABLE directory_new ("
    "  phone TEXT PRIMARY KEY,"
    "  name TEXT,"
    "  privacy INTEGER NOT NULL DEFAULT 0 CHECK (privacy BETWEEN 0 AND 2),"
    "  has_contacts INTEGER NOT NULL DEFAULT 0,"
    "  has_blocks INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "INSERT INTO directory_new SELECT d.phone, d.name, d.privacy,"
    "  EXISTS (SELECT 1 FROM directory_contacts c WHERE c.phone = d.phone),"
    "  EXISTS (SELECT 1 FROM directory_blocks b WHERE b.phone = d.phone)"
    "  FROM directory d;"
    "DROP TABLE directory;"
    "ALTER TABLE directory_new RENAME TO directory;" SQLITE_DEVICE_GROUPS_TRIGGERS;

/* 4, PostgreSQL: an IN list costs nothing special here (the constraints
 * already mean what SQLite's now say); the directory's two flags. */
static const char postgres_4[] =
    "ALTER TABLE directory ADD COLUMN has_contacts boolean NOT NULL DEFAULT false,"
    "  ADD COLUMN has_blocks boolean NOT NULL DEFAULT false;"
    "UPDATE directory d SET"
    "  has_contacts = EXISTS (SELECT 1 FROM directory_contacts c WHERE c.phone = d.phone),"
    "  has_blocks = EXISTS (SELECT 1 FROM directory_blocks b WHERE b.phone = d.phone)"
    "  WHERE EXISTS (SELECT 1 FROM directory_contacts c WHERE c.phone = d.phone)"
    "  OR EXISTS (SELECT 1 FROM directory_blocks b WHERE b.phone = d.phone);";

/* 5: webhooks (docs/WEBHOOKS.md). An endpoint belongs to a device; events
 * is a bit set of event.h's types. previous_secret signs alongside secret
 * until previous_until (a rotation's 24 hours). lease_until/lease_owner
 * are the delivery claim: the unit is the endpoint, since it receives its
 * events one at a time in order, and a claim lapses on its own.
 *
 * The outbox is one row per event and endpoint, written in the change's
 * transaction: body is the envelope, the exact bytes every attempt sends;
 * id is the order (the writer's commit order under SQLite). status: 0
 * pending, 1 delivered, 2 failed. The partial index finds an endpoint's
 * head of line (its oldest pending row) without reading settled ones. */
/* An invitation's expiry is told once (group.invitation.expired): the
 * delivery thread's sweep finds the pending ones past expires_at not told
 * yet through the partial index. Invitations from before webhooks count as
 * told. The same text in both dialects. */
#define WEBHOOK_EXPIRY_SQL                                                       \
    "ALTER TABLE invitations ADD COLUMN expiry_told INTEGER NOT NULL DEFAULT 0;" \
    "UPDATE invitations SET expiry_told = 1;"                                    \
    "CREATE INDEX invitations_expiring ON invitations(expires_at)"               \
    "  WHERE state = 0 AND expiry_told = 0;"

static const char sqlite_5[] =
    "CREATE TABLE webhook_endpoints ("
    "  id INTEGER PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id),"
    "  url TEXT NOT NULL,"
    "  events INTEGER NOT NULL,"
    "  all_events INTEGER NOT NULL,"
    "  secret TEXT NOT NULL,"
    "  previous_secret TEXT,"
    "  previous_until INTEGER NOT NULL DEFAULT 0,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL,"
    "  lease_until INTEGER NOT NULL DEFAULT 0,"
    "  lease_owner TEXT"
    ");"
    "CREATE INDEX webhook_endpoints_by_device ON webhook_endpoints(device_id, id);"
    "CREATE TABLE webhook_deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  event_id TEXT NOT NULL,"
    "  endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id),"
    "  group_id INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  status INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 2),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL,"
    "  last_attempt_at INTEGER,"
    "  last_status INTEGER,"
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, status, id);"
    "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(endpoint_id, id)"
    "  WHERE status = 0;" WEBHOOK_EXPIRY_SQL;

/* 5, PostgreSQL. */
static const char postgres_5[] =
    "CREATE TABLE webhook_endpoints ("
    "  id bigserial PRIMARY KEY,"
    "  device_id bigint NOT NULL REFERENCES devices(id),"
    "  url text NOT NULL,"
    "  events bigint NOT NULL,"
    "  all_events boolean NOT NULL,"
    "  secret text NOT NULL,"
    "  previous_secret text,"
    "  previous_until bigint NOT NULL DEFAULT 0,"
    "  enabled boolean NOT NULL DEFAULT true,"
    "  created_at bigint NOT NULL,"
    "  lease_until bigint NOT NULL DEFAULT 0,"
    "  lease_owner text"
    ");"
    "CREATE INDEX webhook_endpoints_by_device ON webhook_endpoints(device_id, id);"
    "CREATE TABLE webhook_deliveries ("
    "  id bigserial PRIMARY KEY,"
    "  event_id text COLLATE \"C\" NOT NULL,"
    "  endpoint_id bigint NOT NULL REFERENCES webhook_endpoints(id),"
    "  group_id bigint NOT NULL,"
    "  type text COLLATE \"C\" NOT NULL,"
    "  body text NOT NULL,"
    "  status smallint NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 2),"
    "  attempts integer NOT NULL DEFAULT 0,"
    "  next_at bigint NOT NULL,"
    "  last_attempt_at bigint,"
    "  last_status integer,"
    "  last_error text,"
    "  created_at bigint NOT NULL"
    ");"
    "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, status, id);"
    "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(endpoint_id, id)"
    "  WHERE status = 0;" WEBHOOK_EXPIRY_SQL;

/* 6: a device's session in its WhatsApp engine (issue 10: WAHA's session,
 * Evolution's instance; "default" is WAHA Core's only one), and the add
 * requests in doubt: reserved before the engine was called, not yet
 * recorded (docs/ENGINES.md, "The add path with an engine"), and the
 * engine's webhooks already applied (their de-duplication keys). body is the
 * request's own, so a settlement can answer it in its order; candidates
 * are the numbers handed to the engine, separated by single spaces.
 */
static const char sqlite_6[] =
    "ALTER TABLE devices ADD COLUMN engine_session TEXT NOT NULL DEFAULT 'default';"
    "CREATE TABLE engine_pending ("
    "  id INTEGER PRIMARY KEY,"
    "  group_id INTEGER NOT NULL REFERENCES groups(id),"
    "  device_id INTEGER NOT NULL REFERENCES devices(id),"
    "  idem_key TEXT,"
    "  path TEXT NOT NULL,"
    "  body_sha BLOB NOT NULL,"
    "  body TEXT NOT NULL,"
    "  candidates TEXT NOT NULL,"
    "  reserved INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  rate_at INTEGER NOT NULL,"
    "  owner INTEGER NOT NULL,"
    "  deadline INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX engine_pending_by_group ON engine_pending(group_id);"
    /* The engine's webhooks seen in the last day, by de-duplication key. */
    "CREATE TABLE engine_events ("
    "  key TEXT PRIMARY KEY,"
    "  received_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX engine_events_by_time ON engine_events(received_at);";

static const char postgres_6[] =
    "ALTER TABLE devices ADD COLUMN engine_session text COLLATE \"C\" NOT NULL"
    "  DEFAULT 'default';"
    "CREATE TABLE engine_pending ("
    "  group_id bigint NOT NULL REFERENCES groups(id),"
    "  id bigserial,"
    "  device_id bigint NOT NULL REFERENCES devices(id),"
    "  idem_key text,"
    "  path text NOT NULL,"
    "  body_sha bytea NOT NULL,"
    "  body text NOT NULL,"
    "  candidates text NOT NULL,"
    "  reserved bigint NOT NULL,"
    "  day bigint NOT NULL,"
    "  rate_at bigint NOT NULL,"
    "  owner bigint NOT NULL,"
    "  deadline bigint NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  PRIMARY KEY (group_id, id)"
    ");"
    "CREATE TABLE engine_events ("
    "  key text COLLATE \"C\" PRIMARY KEY,"
    "  received_at bigint NOT NULL"
    ");"
    "CREATE INDEX engine_events_by_time ON engine_events(received_at);";

static const struct migration migrations[] = {
    {sqlite_1, postgres_1}, {sqlite_2, postgres_2}, {sqlite_3, postgres_3},
    {sqlite_4, postgres_4}, {sqlite_5, postgres_5}, {sqlite_6, postgres_6},
};

size_t schema_count(void)
{
    return sizeof(migrations) / sizeof(migrations[0]);
}

const struct migration *schema_migration(size_t version)
{
    if (version < 1 || version > schema_count())
        return NULL;
    return &migrations[version - 1];
}
