import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { SUPPORTED_TYPES } from './definitions.js';
import { PLATFORM_WRITTEN } from './resource.service.js';
import { indexedParams } from './search-index.js';

const SEARCH_TYPES = new Set(['string', 'token', 'reference', 'date', 'number', 'quantity', 'uri']);
let cached: CapabilityStatement | undefined;

/** Generated from the supported types and their indexed parameters, so it lists what really works. */
export function capabilityStatement(): CapabilityStatement {
  if (cached) return cached;
  const resources: CapabilityStatementRestResource[] = SUPPORTED_TYPES.map((type) => {
    const params = [...indexedParams(type).values()].filter((p) => SEARCH_TYPES.has(p.type));
    const refs = params.filter((p) => p.type === 'reference');
    // What only the platform writes is read-only to clients (405 on any write).
    const readOnly = PLATFORM_WRITTEN.has(type);
    const writes = readOnly
      ? { versioning: 'versioned' as const, updateCreate: false, conditionalCreate: false, conditionalUpdate: false, conditionalDelete: 'not-supported' as const }
      : { versioning: 'versioned-update' as const, updateCreate: true, conditionalCreate: true, conditionalUpdate: true, conditionalDelete: 'single' as const };
    const interactions = readOnly
      ? ['read', 'vread', 'history-instance', 'history-type', 'search-type']
      : ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'];
    const r: CapabilityStatementRestResource = {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: interactions.map((code) => (code === 'patch'
        ? { code, documentation: 'JSON Patch, by id or conditional (PATCH Type?criteria: one match, else 404 or 412)' }
        : { code: code as 'read' })),
      readHistory: true,
      conditionalRead: 'not-supported',
      ...writes,
      referencePolicy: ['literal', 'logical'],
      searchInclude: ['*', ...refs.map((p) => `${type}:${p.code}`)],
      searchRevInclude: [],
      searchParam: params.map((p) => ({
        name: p.code,
        definition: p.sp.url,
        type: p.type as 'string',
        documentation: p.sp.description?.split('\n')[0],
      })),
      operation: [{ name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' }],
    };
    if (type === 'Patient') {
      r.operation!.push(
        { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
        { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' },
      );
    }
    if (type === 'Group') r.operation!.push({ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' });
    return r;
  });
  // _revinclude: every reference parameter of every type that can point at this one.
  for (const r of resources) {
    for (const source of SUPPORTED_TYPES) {
      for (const p of indexedParams(source).values()) {
        if (p.type === 'reference' && (p.targets.length === 0 || p.targets.includes(r.type))) r.searchRevInclude!.push(`${source}:${p.code}`);
      }
    }
  }
  cached = {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-22',
    publisher: 'OneStory',
    kind: 'instance',
    software: { name: 'OneStory', version: '0.1.0' },
    implementation: { description: 'OneStory shared care record for Kent and Medway' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        resource: resources,
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        // Compartment search: GET Patient/id/Type.
        compartment: ['http://hl7.org/fhir/CompartmentDefinition/patient'],
        operation: [
          { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export', documentation: 'Kick-off by GET with query parameters or POST with a Parameters body (_type, _since, _outputFormat)' },
          { name: 'process-message', definition: 'http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message', documentation: 'A new referral as a BaRS-style message Bundle (event servicerequest-request); idempotent on X-Request-Id' },
        ],
      },
    ],
  };
  return cached;
}
