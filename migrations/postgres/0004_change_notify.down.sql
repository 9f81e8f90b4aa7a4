-- waffle schema, version 4 down: drops the change notification triggers.

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['waffle_flag', 'waffle_flag_user', 'waffle_flag_group', 'waffle_group',
                             'waffle_flag_sync', 'waffle_switch', 'waffle_sample', 'waffle_string_flag'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS waffle_notify_change ON %I', t);
    END LOOP;
END $$;
DROP FUNCTION IF EXISTS waffle_notify_change();
