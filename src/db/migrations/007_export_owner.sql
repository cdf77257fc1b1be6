-- Who asked for a bulk export: only they may poll it, fetch its files or cancel it.
ALTER TABLE bulk_export_job ADD COLUMN requested_by text;
