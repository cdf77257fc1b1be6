import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { REFERENCE_DATA_DIR } from '../paths.js';

/**
 * Validators of the Open Referral UK API's answers: the profile's compiled JSON schemas
 * (data/openreferral/schema/, under the URLs the OpenAPI description names them by) and each
 * endpoint's 200 response schema from the OpenAPI description itself (data/openreferral/docs/extras/
 * openapi30.json), its Page envelope included.
 */
const dir = join(REFERENCE_DATA_DIR, 'openreferral');
const RAW = 'https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/';
const read = (p: string) => JSON.parse(readFileSync(join(dir, p), 'utf8'));

export const openapi = read('docs/extras/openapi30.json');

// ajv-formats is CommonJS: its default export arrives as the module object under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv) => Ajv;

function makeAjv(): Ajv {
  // The schemas carry Frictionless Data keywords (constraints, core, example, datapackage_metadata): not strict.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('csv', true);
  for (const f of ['compiled/service.json', 'compiled/service_list.json', 'compiled/service_at_location_list.json', 'taxonomy.json', 'taxonomy_term.json']) {
    ajv.addSchema({ ...read(`schema/${f}`), $id: `${RAW}${f}` });
  }
  ajv.addSchema({ $id: 'openapi-page', ...openapi.components.schemas.Page });
  return ajv;
}

const ajv = makeAjv();

/** The 200 response schema of GET `path` in the OpenAPI description, its local refs pointed at what ajv knows. */
export function responseValidator(path: string): ValidateFunction {
  const schema = openapi.paths[path]?.get?.responses?.['200']?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`no 200 response schema for GET ${path} in the OpenAPI description`);
  const text = JSON.stringify(schema).replaceAll('"#/components/schemas/Page"', '"openapi-page"');
  return ajv.compile(JSON.parse(text));
}

/** A compiled schema of the profile by file (e.g. 'compiled/service.json'). */
export function schemaValidator(file: string): ValidateFunction {
  return ajv.getSchema(`${RAW}${file}`)!;
}

/** The query parameters the OpenAPI description declares for GET `path`. */
export function declaredParameters(path: string): string[] {
  return (openapi.paths[path]?.get?.parameters ?? []).map((p: { $ref?: string; name?: string }) =>
    p.$ref ? openapi.components.parameters[p.$ref.split('/').pop()!].name : p.name);
}

export function problems(v: ValidateFunction): string {
  return JSON.stringify(v.errors?.slice(0, 5));
}
