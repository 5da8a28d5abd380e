-- The audit log: one hash chain of JSON lines, in the order they were appended, by every instance.
CREATE TABLE mcp_audit (
    seq  bigint PRIMARY KEY,
    line text   NOT NULL,
    hash text   NOT NULL
);

-- Append-only: a line once written is neither changed nor removed (the chain finds it if it is anyway).
CREATE FUNCTION mcp_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER mcp_audit_append_only BEFORE UPDATE OR DELETE ON mcp_audit
    FOR EACH ROW EXECUTE FUNCTION mcp_audit_append_only();
