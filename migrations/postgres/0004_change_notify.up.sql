-- waffle schema, version 4: change notification for the in-process snapshot
-- (docs/performance.md).
--
-- Every statement that changes a definition the snapshot holds (flags, their
-- users and groups, groups' names, sync states, switches, samples, string
-- flags) sends NOTIFY waffle_change with the table's schema and name
-- ("public.waffle_flag"), whoever runs it:
-- the library, the CLI, plain SQL. Notifications go out when the transaction
-- commits, one per table and transaction (PostgreSQL folds repeats), so a
-- bulk write costs one. Group members are not watched: the snapshot never
-- holds them (a request reads the user's memberships from the database).
-- The channel is the database's: a listener ignores the notifications of
-- another schema's tables (another installation in the same database).

CREATE OR REPLACE FUNCTION waffle_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('waffle_change', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['waffle_flag', 'waffle_flag_user', 'waffle_flag_group', 'waffle_group',
                             'waffle_flag_sync', 'waffle_switch', 'waffle_sample', 'waffle_string_flag'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS waffle_notify_change ON %I', t);
        EXECUTE format('CREATE TRIGGER waffle_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION waffle_notify_change()', t);
    END LOOP;
END $$;
