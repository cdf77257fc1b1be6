import { describe, expect, it } from 'vitest';
import { listMigrations, splitStatements } from './migrate.js';

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comment lines', () => {
    expect(splitStatements('-- a table\nCREATE TABLE a (x int);\nCREATE INDEX a_x ON a (x);  \n\n-- end\n')).toEqual([
      'CREATE TABLE a (x int)',
      'CREATE INDEX a_x ON a (x)',
    ]);
  });

  it('keeps a dollar-quoted function body whole', () => {
    const sql = `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'no';
  RETURN NULL;
END;
$$;
CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1;
$body$;
SELECT 'a;
b';
SELECT 1 /* x;
y */;`;
    const parts = splitStatements(sql);
    expect(parts).toHaveLength(4);
    expect(parts[0]).toMatch(/^CREATE FUNCTION f\(\)[\s\S]*RETURN NULL;\nEND;\n\$\$$/);
    expect(parts[1]).toMatch(/\$body\$ SELECT 1;\n\$body\$$/);
    expect(parts[2]).toBe("SELECT 'a;\nb'");
    expect(parts[3]).toBe('SELECT 1 /* x;\ny */');
  });

  it('does not split on a semicolon in a comment, nor on $1 parameters', () => {
    expect(splitStatements("-- one; two;\nSELECT $1::int;\nSELECT 'it''s';\n")).toEqual(['SELECT $1::int', "SELECT 'it''s'"]);
  });

  it('splits every migration as the line-end rule did before, apart from dollar-quoted bodies', () => {
    const legacy = (sql: string) => sql.split(/;\s*$/m).map((s) => s.replace(/^\s*--.*$/gm, '').trim()).filter((s) => s.length > 0);
    for (const m of listMigrations()) {
      if (m.sql.includes('$$')) continue;
      expect(splitStatements(m.sql), m.name).toEqual(legacy(m.sql));
    }
  });
});
