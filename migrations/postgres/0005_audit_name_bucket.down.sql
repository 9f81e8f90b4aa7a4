-- waffle schema, version 5 down: nothing to undo on PostgreSQL.

SELECT 1;
