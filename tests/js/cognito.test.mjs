// fromCognitoIdentityPool (written in Rust) against a small fake Cognito Identity + STS in
// this process: unsigned calls, both flows, caching until expiry, named errors. No real AWS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { BedrockRuntimeServiceException, fromCognitoIdentityPool } from '../../pkg/node.js';
import { claude, client, credentials } from './helpers.mjs';

const POOL = 'us-east-1:00000000-0000-0000-0000-000000000000';
let server;
let url;
let calls = [];
let expiresIn = 3600;

before(async () => {
  server = createServer(async (req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    let body = '';
    for await (const c of req) body += c;
    const target = req.headers['x-amz-target'] ?? 'sts';
    calls.push({ target, body, authorization: req.headers.authorization });
    const reply = (status, obj, type = 'application/x-amz-json-1.1') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
    };
    const json = target === 'sts' ? null : JSON.parse(body);
    switch (target) {
      case 'AWSCognitoIdentityService.GetId':
        if (json.IdentityPoolId !== POOL) return reply(400, { __type: 'ResourceNotFoundException', message: 'IdentityPool not found.' });
        if (!json.Logins && process.env.NO_GUESTS) return reply(400, { __type: 'NotAuthorizedException', message: 'Unauthenticated access is not supported.' });
        return reply(200, { IdentityId: 'us-east-1:identity-1' });
      case 'AWSCognitoIdentityService.GetCredentialsForIdentity':
        return reply(200, {
          IdentityId: json.IdentityId,
          Credentials: {
            AccessKeyId: credentials.accessKeyId,
            SecretKey: credentials.secretAccessKey,
            SessionToken: credentials.sessionToken,
            Expiration: Math.floor(Date.now() / 1000) + expiresIn,
          },
        });
      case 'AWSCognitoIdentityService.GetOpenIdToken':
        return reply(200, { IdentityId: json.IdentityId, Token: 'header.payload.sig' });
      default: {
        const p = new URLSearchParams(body);
        if (p.get('WebIdentityToken') !== 'header.payload.sig') {
          return reply(400, '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error><RequestId>r</RequestId></ErrorResponse>', 'text/xml');
        }
        const exp = new Date(Date.now() + expiresIn * 1000).toISOString();
        return reply(200, `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId><SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey><SessionToken>${credentials.sessionToken}</SessionToken><Expiration>${exp}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`, 'text/xml');
      }
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

test('enhanced flow: GetId once, credentials cached until near expiry, unsigned', async () => {
  calls = [];
  expiresIn = 3600;
  const provider = fromCognitoIdentityPool({ identityPoolId: POOL, endpoint: url, logins: { 'accounts.example.com': async () => 'id-token' } });
  const c = client({ credentials: provider });
  await c.invokeModel(claude());
  await c.invokeModel(claude());
  assert.deepEqual(calls.map((x) => x.target), ['AWSCognitoIdentityService.GetId', 'AWSCognitoIdentityService.GetCredentialsForIdentity']);
  assert.ok(calls.every((x) => x.authorization === undefined), 'Cognito calls are unsigned');
  assert.deepEqual(JSON.parse(calls[0].body), { IdentityPoolId: POOL, Logins: { 'accounts.example.com': 'id-token' } });
  const creds = await provider();
  assert.equal(creds.identityId, 'us-east-1:identity-1');
  assert.ok(creds.expiration instanceof Date);
});

test('credentials about to expire are refreshed, the identity id is reused', async () => {
  calls = [];
  expiresIn = 60;
  const provider = fromCognitoIdentityPool({ identityPoolId: POOL, endpoint: url });
  await provider();
  await provider();
  assert.deepEqual(calls.map((x) => x.target), [
    'AWSCognitoIdentityService.GetId',
    'AWSCognitoIdentityService.GetCredentialsForIdentity',
    'AWSCognitoIdentityService.GetCredentialsForIdentity',
  ]);
  expiresIn = 3600;
});

test('classic flow: GetOpenIdToken then STS AssumeRoleWithWebIdentity', async () => {
  calls = [];
  const provider = fromCognitoIdentityPool({ identityPoolId: POOL, endpoint: url, stsEndpoint: url, classicFlow: true, roleArn: 'arn:aws:iam::123456789012:role/Guest' });
  const out = await client({ credentials: provider }).invokeModel(claude());
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.deepEqual(calls.map((x) => x.target), ['AWSCognitoIdentityService.GetId', 'AWSCognitoIdentityService.GetOpenIdToken', 'sts']);
  const form = new URLSearchParams(calls[2].body);
  assert.equal(form.get('Action'), 'AssumeRoleWithWebIdentity');
  assert.equal(form.get('RoleArn'), 'arn:aws:iam::123456789012:role/Guest');
  const c = await provider();
  assert.ok(c.expiration.getTime() > Date.now());
});

test('Cognito errors are named and say what to check', async () => {
  const provider = fromCognitoIdentityPool({ identityPoolId: 'us-east-1:unknown', endpoint: url });
  await assert.rejects(provider(), (e) => {
    assert.ok(e instanceof BedrockRuntimeServiceException);
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.match(e.message, /identityPoolId/);
    return true;
  });
  assert.throws(() => fromCognitoIdentityPool({}), /identityPoolId is required/);
  await assert.rejects(fromCognitoIdentityPool({ identityPoolId: POOL, endpoint: url, classicFlow: true })(), /roleArn/);
});
