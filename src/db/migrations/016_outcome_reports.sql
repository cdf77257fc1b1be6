-- Outcomes (issue 14): the strategy indicators' figures per period and place, stored as they were
-- published, so a trend builds up across nightly runs. Only protected figures are stored (counts
-- suppressed or rounded, src/outcomes/small-numbers.ts): the table never holds a small number.
CREATE TABLE outcome_report (
  measure_id    text        NOT NULL,
  place         text        NOT NULL,
  place_level   text        NOT NULL,
  place_name    text        NOT NULL,
  parent_place  text,
  period_start  date        NOT NULL,
  period_end    date        NOT NULL,
  evaluated_at  timestamptz NOT NULL,
  numerator     integer,
  denominator   integer,
  score         numeric,
  score_low     numeric,
  score_high    numeric,
  suppressed    boolean     NOT NULL,
  -- stratifier -> stratum -> the same figure fields (residence places only).
  strata        jsonb,
  PRIMARY KEY (measure_id, place, period_start, period_end)
);
CREATE INDEX outcome_report_trend ON outcome_report (measure_id, place, period_end);
