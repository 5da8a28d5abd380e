-- The plan store's tables. Flyway applies this once per database, recorded in mcp_schema_history.

-- One row a plan: the markdown as submitted (never changed after), where it is in its life, and the
-- lease of the instance running it.
CREATE TABLE mcp_plan (
    plan_key     text        PRIMARY KEY,
    plan_id      text        NOT NULL,
    markdown     text        NOT NULL,
    state        text        NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'needs_review')),
    priority     integer     NOT NULL,
    -- the queue's order: the submit time moved later by 5 minutes per priority level (so a plan waiting
    -- 5 minutes ranks with those a level more urgent submitted now), in seconds
    queue_rank   double precision NOT NULL,
    due_at       timestamptz NOT NULL,
    submitted_at timestamptz NOT NULL,
    runs         integer     NOT NULL DEFAULT 0,
    owner        text,
    fence        bigint      NOT NULL DEFAULT 0,
    lease_until  timestamptz,
    outcome      text,
    finished_at  timestamptz
);
CREATE INDEX mcp_plan_queued ON mcp_plan (queue_rank, due_at, submitted_at) WHERE state = 'queued';
CREATE INDEX mcp_plan_running ON mcp_plan (lease_until) WHERE state = 'running';

-- What was approved is what runs: the markdown of a plan cannot be changed once it is in the store.
CREATE FUNCTION mcp_plan_markdown_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.markdown IS DISTINCT FROM OLD.markdown OR NEW.plan_id IS DISTINCT FROM OLD.plan_id THEN
        RAISE EXCEPTION 'the markdown of plan % is the one approved and cannot be changed', OLD.plan_key;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER mcp_plan_markdown_fixed BEFORE UPDATE ON mcp_plan
    FOR EACH ROW EXECUTE FUNCTION mcp_plan_markdown_fixed();

-- The journal of step starts and results, each written under the plan's fence.
CREATE TABLE mcp_plan_journal (
    seq      bigserial   PRIMARY KEY,
    plan_key text        NOT NULL REFERENCES mcp_plan (plan_key),
    fence    bigint      NOT NULL,
    step     integer     NOT NULL,
    event    text        NOT NULL CHECK (event IN ('started', 'finished')),
    status   text,
    at       timestamptz NOT NULL,
    log_line text
);
CREATE INDEX mcp_plan_journal_plan ON mcp_plan_journal (plan_key, seq);

-- The ledger of consumed approvals: the last state of each plan id's run.
CREATE TABLE mcp_approval_run (
    plan_id   text PRIMARY KEY,
    hash      text NOT NULL,
    signature text UNIQUE,
    source    text NOT NULL,
    state     text NOT NULL,
    began_at  text NOT NULL,
    at        text NOT NULL,
    fence     bigint
);
