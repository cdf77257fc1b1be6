import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { SUPPORTED_TYPES, isSupportedType } from './definitions.js';
import { patientCompartment } from './everything.service.js';
import { badRequest, notFound } from './outcome.js';
import { localReference } from './reference.js';
import { parseDateRange } from './date-range.js';
import { Params, type RowRestriction } from './search.repository.js';

export interface ExportRequest {
  scope: 'system' | 'patient' | 'group';
  groupId?: string;
  types?: string[];
  since?: string;
  requestUrl: string;
  /** Who asks (the principal's id): only they may poll, download or cancel the job. */
  requestedBy?: string;
  /** The caller's access: the files hold only rows that pass it, judged at kick-off time. */
  restriction?: RowRestriction;
}

export interface ExportJob {
  id: string;
  status: 'in-progress' | 'complete' | 'error' | 'cancelled';
  request_url: string;
  transaction_time: Date;
  progress: string | null;
  output: string | null;
  error: string | null;
  requested_by: string | null;
}

const PAGE = 1000;

/**
 * FHIR Bulk Data export: a job table, a background writer of one NDJSON file per type, and
 * status polling. Files live under <dataDir>/exports/<job id>/.
 */
export class BulkExportService {
  private readonly running = new Map<string, { cancelled: boolean }>();

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly logger?: Logger,
  ) {}

  /** Jobs that were running when the process stopped cannot be resumed; say so. */
  async recover(): Promise<void> {
    await this.db.query(
      `UPDATE bulk_export_job SET status = 'error', error = 'The server restarted before the export finished; start it again'
        WHERE status = 'in-progress'`,
    );
  }

  async kickOff(req: ExportRequest): Promise<string> {
    const types = req.types ?? [];
    for (const t of types) if (!isSupportedType(t)) throw badRequest(`_type names an unknown resource type "${t}"`, '_type');
    let since: string | undefined;
    if (req.since !== undefined) {
      const r = parseDateRange(req.since);
      if (!r) throw badRequest('_since must be an instant such as 2026-01-01T00:00:00Z', '_since');
      since = r.low;
    }
    let patientIds: string[] | undefined;
    if (req.scope === 'group') {
      const gp = new Params();
      const cond = req.restriction?.('r', 'Group', gp);
      const g = await this.db.query<{ content: string }>(
        `SELECT r.content FROM resource r WHERE r.resource_type = 'Group' AND r.id = ${gp.add(req.groupId)} AND NOT r.deleted${cond ? ` AND ${cond}` : ''}`,
        gp.values,
      );
      if (g.rows.length === 0) throw notFound(`Group/${req.groupId} is not known`);
      const group = JSON.parse(g.rows[0].content);
      patientIds = (group.member ?? [])
        .map((m: { entity?: { reference?: string } }) => {
          const k = localReference(m.entity?.reference);
          return k?.type === 'Patient' && !k.version ? k.id : undefined;
        })
        .filter(Boolean);
    }
    const id = randomUUID();
    const res = await this.db.query<{ transaction_time: Date }>(
      `INSERT INTO bulk_export_job (id, status, request_url, scope, group_id, types, since, transaction_time, requested_by)
        VALUES ($1, 'in-progress', $2, $3, $4, $5::text[], $6::timestamptz, now(), $7) RETURNING transaction_time`,
      [id, req.requestUrl, req.scope, req.groupId ?? null, types.length ? types : null, since ?? null, req.requestedBy ?? null],
    );
    const state = { cancelled: false };
    this.running.set(id, state);
    void this.run(id, req.scope, types, since, patientIds, res.rows[0].transaction_time, state, req.restriction)
      .catch(async (err) => {
        this.logger?.error({ err, job: id }, 'bulk export failed');
        await this.db.query("UPDATE bulk_export_job SET status = 'error', error = $2 WHERE id = $1", [id, 'The export failed']).catch(() => undefined);
      })
      .finally(() => this.running.delete(id));
    return id;
  }

  /** The job, for the one who asked for it; anyone else is told it is not known (as for a missing job). */
  async status(id: string, requestedBy?: string): Promise<ExportJob> {
    const res = await this.db.query<ExportJob>(
      'SELECT id, status, request_url, transaction_time, progress, output, error, requested_by FROM bulk_export_job WHERE id = $1',
      [id],
    );
    const job = res.rows[0];
    if (!job || job.status === 'cancelled' || (job.requested_by !== null && job.requested_by !== requestedBy)) throw notFound(`Export job ${id} is not known`);
    return job;
  }

  async cancel(id: string, requestedBy?: string): Promise<void> {
    await this.status(id, requestedBy);
    const state = this.running.get(id);
    if (state) state.cancelled = true;
    await this.db.query("UPDATE bulk_export_job SET status = 'cancelled' WHERE id = $1", [id]);
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  filePath(id: string, file: string): string {
    if (!/^[0-9a-f-]{36}$/.test(id) || !/^[A-Za-z]+\.ndjson$/.test(file)) throw notFound('No such export file');
    return join(this.dir(id), file);
  }

  private dir(id: string): string {
    return join(this.dataDir, 'exports', id);
  }

  private async run(
    id: string,
    scope: ExportRequest['scope'],
    types: string[],
    since: string | undefined,
    patientIds: string[] | undefined,
    transactionTime: Date,
    state: { cancelled: boolean },
    restriction?: RowRestriction,
  ): Promise<void> {
    mkdirSync(this.dir(id), { recursive: true });
    const compartment = new Map(patientCompartment().map((c) => [c.type, c.params]));
    let wanted: string[] = types.length > 0 ? types : [...SUPPORTED_TYPES];
    if (scope !== 'system') wanted = wanted.filter((t) => t === 'Patient' || compartment.has(t));
    const output: { type: string; file: string; count: number }[] = [];
    for (const type of wanted) {
      if (state.cancelled) return;
      let cursor = '0';
      let count = 0;
      let stream: ReturnType<typeof createWriteStream> | undefined;
      for (;;) {
        const params = new Params();
        const p = params.values;
        p.push(type, cursor, transactionTime, PAGE);
        const conds = ['r.resource_type = $1', 'NOT r.deleted', 'r.rid > $2::bigint', 'r.last_updated <= $3'];
        if (since) {
          p.push(since);
          conds.push(`r.last_updated >= $${p.length}::timestamptz`);
        }
        if (scope !== 'system') {
          if (patientIds) p.push(patientIds);
          const idCond = patientIds ? `= ANY($${p.length}::text[])` : 'IS NOT NULL';
          if (type === 'Patient') conds.push(`r.id ${idCond}`);
          else {
            p.push(compartment.get(type));
            conds.push(`EXISTS (SELECT 1 FROM sp_reference ref WHERE ref.rid = r.rid AND ref.target_type = 'Patient'
              AND ref.code = ANY($${p.length}::text[]) AND ref.target_id ${idCond})`);
          }
        }
        const restrict = restriction?.('r', type, params);
        if (restrict) conds.push(restrict);
        const page = await this.db.query<{ rid: string; content: string }>(
          `SELECT r.rid::text AS rid, r.content FROM resource r WHERE ${conds.join(' AND ')} ORDER BY r.rid LIMIT $4`,
          p,
        );
        if (page.rows.length === 0) break;
        stream ??= createWriteStream(join(this.dir(id), `${type}.ndjson`));
        for (const row of page.rows) {
          if (!stream.write(`${row.content}\n`)) await once(stream, 'drain');
        }
        count += page.rows.length;
        cursor = page.rows[page.rows.length - 1].rid;
        await this.db.query('UPDATE bulk_export_job SET progress = $2 WHERE id = $1', [id, `${type}: ${count} resources`]);
        if (page.rows.length < PAGE || state.cancelled) break;
      }
      if (stream) {
        stream.end();
        await once(stream, 'finish');
        output.push({ type, file: `${type}.ndjson`, count });
      }
    }
    if (state.cancelled) return;
    await this.db.query(
      "UPDATE bulk_export_job SET status = 'complete', completed_at = now(), progress = NULL, output = $2 WHERE id = $1 AND status = 'in-progress'",
      [id, JSON.stringify(output)],
    );
  }
}
