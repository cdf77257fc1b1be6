-- The eFI change queue (migration 020) drained person by person (issue 12).
--
-- A bulk load queues each person once per write statement that touches their record, so a
-- 100,000-patient import left about 300,000 entries. The drain now takes the people who have waited
-- longest and removes every entry of theirs that it saw (src/proactive-care/efi.repository.ts
-- `queued`), and `npx onestory import` recomputes them when it ends (FrailtyService.catchUp), so the
-- queue is emptied by whoever filled it. Finding a person's entries needs this index.
CREATE INDEX efi_queue_patient ON efi_queue (patient_id, seq);
