-- The worklist's view of every Task (src/workflow/task-work.table.ts), kept in step with the Task
-- in the same write statement (a derived table, like the access policy's): the columns a worklist
-- filters, counts and sorts on, so "my work" is an index range scan rather than a parse of every
-- Task's JSON. The row restriction is still applied to the Task row itself (resource), so the
-- worklist shows exactly what the FHIR API would show the same user.
CREATE TABLE task_work (
  rid           bigint NOT NULL,
  status        text   NOT NULL,
  -- `Type/id` of Task.owner (a Practitioner, an Organization or a CareTeam); null when unowned.
  owner         text,
  patient_id    text,
  -- Task.restriction.period.end: when the work is due.
  due           timestamptz,
  authored_on   timestamptz,
  -- Task.code from the task-kind code system (src/workflow/task.vocabulary.ts).
  kind          text,
  -- The organisation that set the work: the Task's recorded-by tag.
  from_org      text
);
CREATE INDEX task_work_rid ON task_work (rid);
-- "My work" and "my team's pool": open tasks by owner, in due-date order.
CREATE INDEX task_work_owner_due ON task_work (owner, due, rid)
  WHERE status IN ('requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold');
-- Overdue escalation: open tasks by due date across every owner.
CREATE INDEX task_work_due ON task_work (due, rid)
  WHERE status IN ('requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold') AND due IS NOT NULL;

-- Tasks written before this migration: the same columns, read from the stored JSON. A value that
-- does not read as an instant is left null (the write path would have done the same).
CREATE FUNCTION onestory_try_instant(v text) RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF v IS NULL OR v !~ '^\d{4}-\d{2}-\d{2}' THEN RETURN NULL; END IF;
  RETURN CASE WHEN length(v) = 10 THEN (v || 'T00:00:00Z')::timestamptz ELSE v::timestamptz END;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;
INSERT INTO task_work (rid, status, owner, patient_id, due, authored_on, kind, from_org)
SELECT r.rid,
       coalesce(c->>'status', 'draft'),
       substring(c#>>'{owner,reference}' from '^([A-Z][A-Za-z]+/[A-Za-z0-9.-]{1,64})$'),
       substring(c#>>'{for,reference}' from '^Patient/([A-Za-z0-9.-]{1,64})$'),
       onestory_try_instant(c#>>'{restriction,period,end}'),
       onestory_try_instant(c->>'authoredOn'),
       (SELECT x->>'code' FROM jsonb_array_elements(coalesce(c#>'{code,coding}', '[]')) x
         WHERE x->>'system' = 'https://onestory.example/fhir/CodeSystem/task-kind' LIMIT 1),
       (SELECT x->>'code' FROM jsonb_array_elements(coalesce(c#>'{meta,tag}', '[]')) x
         WHERE x->>'system' = 'https://onestory.example/fhir/CodeSystem/recorded-by-organization' LIMIT 1)
FROM (SELECT rid, content::jsonb AS c FROM resource WHERE resource_type = 'Task' AND NOT deleted) r;
