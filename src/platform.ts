import { AccessLogService } from './access/audit/access-log.service.js';
import { AuditEventService } from './access/audit/audit-event.service.js';
import { AuditService } from './access/audit/audit.service.js';
import { createIdentity, type Identity } from './access/identity/identity.js';
import { AggregateService, BreakGlassService, registerPolicyTables } from './access/policy/index.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { DischargeBoardService } from './discharge/discharge-board.service.js';
import { DISCHARGE_STAY_TABLE } from './discharge/discharge-stay.table.js';
import { DischargeService } from './discharge/discharge.service.js';
import { PathwayService } from './pathways/pathway.service.js';
import { Reablement91Service } from './discharge/reablement-91.service.js';
import { migrate } from './db/migrate.js';
import { backfillDirectoryIndex } from './directory/directory-index.backfill.js';
import { DIRECTORY_LOCATION_TABLE, DIRECTORY_SERVICE_TABLE } from './directory/directory-index.table.js';
import { DirectoryService } from './directory/directory.service.js';
import { ShortlistService } from './directory/shortlist.service.js';
import { loadDefinitions } from './fhir/definitions.js';
import { PreparePool } from './fhir/import.pool.js';
import { registerDerivedTable } from './fhir/resource.repository.js';
import { ResourceService } from './fhir/resource.service.js';
import { CaseFindingService } from './proactive-care/case-finding.service.js';
import { CohortService } from './proactive-care/cohort.service.js';
import { FrailtyService } from './proactive-care/frailty.service.js';
import { CarePlanningListsService } from './care-planning/care-planning-lists.service.js';
import { CARE_PLANNING_WRITE_RULES } from './care-planning/care-planning.write-rules.js';
import { ACTIVE_CARE_COORDINATION_TABLE, ACTIVE_CARE_PLAN_TABLE } from './care-planning/care-one-active.table.js';
import { JOINT_ASSESSMENT_WRITE_RULES } from './care-planning/joint-assessment.rules.js';
import { JointAssessmentService } from './care-planning/joint-assessment.service.js';
import { MdtService } from './care-planning/mdt.service.js';
import { NamedProfessionalService } from './care-planning/named-professional.service.js';
import { PlanService } from './care-planning/plan.service.js';
import { RiskSummaryService } from './proactive-care/risk-summary.service.js';
import { IndicatorRegistry } from './outcomes/indicator.registry.js';
import { MeasureEvaluationService } from './outcomes/measure-evaluation.service.js';
import { OutcomeReportRepository } from './outcomes/outcome-report.repository.js';
import { OutcomesService } from './outcomes/outcomes.service.js';
import { OUTCOME_PERSON_TABLE } from './outcomes/outcome-person.table.js';
import { OUTCOME_FACT_TABLE } from './outcomes/outcome-fact.table.js';
import { fillOutcomeTablesUnlessDone } from './outcomes/outcome-tables.backfill.js';
import { BcfService } from './outcomes/bcf.service.js';
import { ActionableListService } from './outcomes/actionable-list.service.js';
import { ActionableListRepository } from './outcomes/actionable-list.repository.js';
import { FeedbackService } from './outcomes/feedback.service.js';
import { SubmittedFigureService } from './outcomes/submitted-figure.service.js';
import { iStatementWriteRule, loadIStatements } from './outcomes/i-statements.js';
import { CaseloadService } from './record-view/caseload.service.js';
import { PersonSearchService } from './record-view/person-search.service.js';
import { RecordSummaryService } from './record-view/record-summary.service.js';
import { TASK_WORK_TABLE } from './workflow/task-work.table.js';
import { TaskService } from './workflow/task.service.js';
import { taskWriteRule } from './workflow/task.write-rule.js';
import { WorklistService } from './workflow/worklist.service.js';
import { ProcessMessageService } from './referrals/process-message.service.js';
import { ReferralService } from './referrals/referral.service.js';
import { referralWriteRule } from './referrals/referral.write-rule.js';
import { ons4WriteRule } from './social-prescribing/ons4.write-rule.js';
import { SocialPrescribingService } from './social-prescribing/social-prescribing.service.js';

/**
 * The running platform's parts, each built once here and handed to the HTTP layer (route plugins
 * take what they need from it) and the CLI. Nothing else constructs a service.
 */
export interface Platform {
  config: Config;
  db: Database;
  /** The one clock every part reads "now" from; tests replace `clock.now` to freeze or move time. */
  clock: Clock;
  /** The record: FHIR storage, search, history, writes (with the workflow's write rules). */
  resources: ResourceService;
  /**
   * The threads every bulk import (NDJSON, the demo population, Open Referral feeds) prepares its
   * batches on: kept across imports, so their FHIR definitions are loaded once per process
   * (src/fhir/import.pool.ts: started by the first import or by `startImportWorkers`, released when idle).
   */
  importPool: PreparePool;
  /** Users, sessions, tokens, API clients. */
  identity: Identity;
  /**
   * The access layer's services beyond the per-request policy: `audit` records (one group-commit
   * queue per process), `auditEvents` serves AuditEvent on the FHIR API from the audit table.
   */
  access: {
    breakGlass: BreakGlassService; accessLog: AccessLogService; aggregates: AggregateService;
    audit: AuditService; auditEvents: AuditEventService;
  };
  /** Read models of a person's record for the web app and its JSON API. */
  recordView: { summaries: RecordSummaryService; people: PersonSearchService; caseload: CaseloadService };
  /** Work passed between people and organisations. */
  workflow: { tasks: TaskService; worklist: WorklistService };
  /** Proactive care: the electronic Frailty Index and the facts cohorts and case finding filter on. */
  proactiveCare: { frailty: FrailtyService; cohorts: CohortService; caseFinding: CaseFindingService; risk: RiskSummaryService };
  /** A team around the person and a plan made with them: plans, MDT meetings, the named professional, their lists, joint assessments. */
  carePlanning: { plans: PlanService; mdt: MdtService; namedProfessionals: NamedProfessionalService; lists: CarePlanningListsService; assessments: JointAssessmentService };
  /** Discharge from hospital: the board and hub (reads), the coordinator's commands, reablement at 91 days. */
  discharge: { board: DischargeBoardService; stays: DischargeService; reablement: Reablement91Service };
  /** Mental health pathways with their clocks, out-of-area placements, transitions at 18. */
  pathways: PathwayService;
  /** Referrals between partners (src/referrals): a ServiceRequest to a service and the Task its provider works. */
  referrals: { referrals: ReferralService; processMessage: ProcessMessageService };
  /** Social prescribing (src/social-prescribing): the link worker's caseload, contacts, what matters and ONS4 wellbeing. */
  socialPrescribing: { caseload: SocialPrescribingService };
  /** The service directory: search, services, taxonomies, out-of-date reports (the Open Referral UK API and the search pages). */
  directory: { services: DirectoryService; shortlists: ShortlistService };
  /** The strategy's outcomes framework: indicators as Measures, their protected figures per place and quarter. */
  /** …and the Better Care Fund view, and the 'I' statements surveys (issue 14 parts 7 and 8). */
  outcomes: { service: OutcomesService; bcf: BcfService; people: ActionableListService; feedback: FeedbackService; submitted: SubmittedFigureService };
  close(): Promise<void>;
}

/**
 * Derived tables kept in step with every write (src/fhir/resource.repository.ts): the access
 * policy's (care relationships, sharing objections, proxy grants), the worklist's, the discharge board's, the directory's
 * and care planning's one-active constraints. Registered
 * here, explicitly, before the first write.
 */
function registerDerivedTables(): void {
  registerPolicyTables();
  registerDerivedTable(TASK_WORK_TABLE);
  registerDerivedTable(DISCHARGE_STAY_TABLE);
  registerDerivedTable(DIRECTORY_SERVICE_TABLE);
  registerDerivedTable(DIRECTORY_LOCATION_TABLE);
  // One active plan and one named professional per person, held by unique constraints (migration 020).
  registerDerivedTable(ACTIVE_CARE_PLAN_TABLE);
  registerDerivedTable(ACTIVE_CARE_COORDINATION_TABLE);
  // The residents' facts the outcomes indicators read (migration 027).
  registerDerivedTable(OUTCOME_PERSON_TABLE);
  // The rows the indicators read, each resource's fields as jsonb (migration 028).
  registerDerivedTable(OUTCOME_FACT_TABLE);
}

/**
 * `open.mode` says who opens the embedded PostgreSQL when `db` is not given: `start` serves it
 * ('serve'); a CLI command uses the running server's database ('command'); see src/db/embedded.database.ts.
 * `open.startImportWorkers` (the import commands, the benchmarks) starts the import pool's workers
 * first, so that their load of the FHIR definitions runs beside this one's and the database's start;
 * without it (the server) they start with the first import.
 */
export async function createPlatform(config: Config, db?: Database, open: { mode?: 'serve' | 'command' | 'own'; startImportWorkers?: boolean } = {}): Promise<Platform> {
  const importPool = new PreparePool();
  if (open.startImportWorkers) importPool.start();
  try {
    return await assemblePlatform(config, db, open.mode, importPool);
  } catch (err) {
    await importPool.close();
    throw err;
  }
}

async function assemblePlatform(config: Config, db: Database | undefined, mode: 'serve' | 'command' | 'own' | undefined, importPool: PreparePool): Promise<Platform> {
  loadDefinitions();
  registerDerivedTables();
  const database =
    db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embedded: config.embedded, mode }));
  try {
    const applied = await migrate(database);
    // Directory rows of services written before migration 011 (computed in TypeScript, as on every write).
    await backfillDirectoryIndex(database);
    // The outcomes' derived tables for resources written before them (by the rules of every write), at the start
    // that creates them and at every start after until a fill has finished (one stopped part-way would leave every
    // figure short); not at every start, since checking for rows missing reads every resource (10 s at 100,000 residents).
    await fillOutcomeTablesUnlessDone(database, applied);
  } catch (err) {
    // Close what this call opened, so the embedded data directory's lock is released with it.
    if (!db) await database.close().catch(() => undefined);
    throw err;
  }
  const base = systemClock();
  // One object: replacing `clock.now` moves every service that reads it.
  const clock: Clock = { now: () => base.now() };
  const resources = new ResourceService(database, { writeRules: [taskWriteRule, ...CARE_PLANNING_WRITE_RULES, ...JOINT_ASSESSMENT_WRITE_RULES, referralWriteRule(clock), ons4WriteRule, iStatementWriteRule(loadIStatements())] });
  const tasks = new TaskService(resources, clock, { baseUrl: config.baseUrl });
  const referrals = new ReferralService(resources, clock, { baseUrl: config.baseUrl });
  const plans = new PlanService(resources, tasks, clock);
  const breakGlass = new BreakGlassService(database);
  const worklist = new WorklistService(database);
  const cohorts = new CohortService(database, resources);
  const audit = new AuditService(database);
  // Events a write committed but the chain had not linked when the last process stopped (a crash): link them now.
  await audit.sealPending();
  const indicators = new IndicatorRegistry();
  const directory = new DirectoryService(database, resources, clock);
  return {
    config,
    db: database,
    clock,
    resources,
    importPool,
    identity: createIdentity(database, clock),
    access: {
      breakGlass, accessLog: new AccessLogService(database), aggregates: new AggregateService(database),
      audit, auditEvents: new AuditEventService(database),
    },
    recordView: { summaries: new RecordSummaryService(database), people: new PersonSearchService(database, resources.search), caseload: new CaseloadService(database) },
    workflow: { tasks, worklist },
    proactiveCare: { frailty: new FrailtyService({ db: database, resources }, clock), cohorts, caseFinding: new CaseFindingService(database, cohorts), risk: new RiskSummaryService(database) },
    carePlanning: {
      plans, mdt: new MdtService(resources, tasks, clock),
      namedProfessionals: new NamedProfessionalService(resources, clock), lists: new CarePlanningListsService(database, clock),
      assessments: new JointAssessmentService(resources, plans, clock),
    },
    discharge: {
      board: new DischargeBoardService(database, worklist),
      stays: new DischargeService(resources, clock, { baseUrl: config.baseUrl }),
      reablement: new Reablement91Service(resources, clock, { baseUrl: config.baseUrl }),
    },
    pathways: new PathwayService(resources, clock, worklist),
    referrals: { referrals, processMessage: new ProcessMessageService(database, referrals, clock) },
    socialPrescribing: { caseload: new SocialPrescribingService(resources, referrals, plans, directory, clock) },
    directory: { services: directory, shortlists: new ShortlistService(resources, directory, clock) },
    close: async () => {
      await importPool.close();
      await audit.flush();
      await database.close();
    },
    outcomes: (() => {
      const evaluation = new MeasureEvaluationService(database, indicators);
      const reports = new OutcomeReportRepository(database);
      return {
        service: new OutcomesService(indicators, evaluation, reports, resources, clock, database),
        bcf: new BcfService(indicators, evaluation, reports, clock, database),
        people: new ActionableListService(indicators, new ActionableListRepository(database)),
        feedback: new FeedbackService(database, resources, clock),
        submitted: new SubmittedFigureService(indicators, reports, resources, database, clock, evaluation.geography),
      };
    })(),
  };
}
