-- When the outcomes' derived tables (migrations 027 and 028) were last filled whole for the resources
-- written before them (src/outcomes/outcome-tables.backfill.ts). The fill runs at the start that
-- applies those migrations; a start stopped part-way through it (a crash, a restart) left the tables
-- part-filled for good, and every figure would have undercounted without a word. With this row written
-- only when a fill has finished, every start fills again until one has.
CREATE TABLE outcome_tables_filled (
  filled_at timestamptz NOT NULL
);
