import { expect } from 'vitest';
import { CARE_PASSWORD } from '../record-view/care.fixtures.js';
import type { TestPlatform } from '../testing/test-platform.js';

/** A browser-like session against the server in-process: keeps the cookie, reads the CSRF token from pages. */
export class Browser {
  cookie = '';
  constructor(private readonly t: TestPlatform) {}
  async get(url: string) {
    const res = await this.t.app.inject({ method: 'GET', url, headers: this.cookie ? { cookie: this.cookie } : {} });
    return { status: res.statusCode, body: res.body, headers: res.headers };
  }
  async post(url: string, fields: Record<string, string>) {
    const res = await this.t.app.inject({
      method: 'POST', url, payload: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(this.cookie ? { cookie: this.cookie } : {}) },
    });
    const set = res.headers['set-cookie'];
    const first = Array.isArray(set) ? set[0] : set;
    if (first) this.cookie = first.split(';')[0];
    return { status: res.statusCode, body: res.body, headers: res.headers };
  }
  async signIn(username: string, password = CARE_PASSWORD) {
    const res = await this.post('/sign-in', { username, password });
    expect(res.status).toBe(303);
    return res.headers.location;
  }
  async csrf() {
    const page = await this.get('/');
    const home = await this.get(String(page.headers.location));
    return /name="csrf_token" value="([^"]+)"/.exec(home.body)![1];
  }
}

