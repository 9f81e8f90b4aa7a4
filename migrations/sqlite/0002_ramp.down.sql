-- waffle schema, version 2 down: drops the ramp column and every ramp.

ALTER TABLE waffle_flag DROP COLUMN ramp;
