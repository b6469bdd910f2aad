// API Blueprint ends every example body with a newline; the server answers
// "/" with exactly "Docking API" (as the original did), so compare without it,
// and a form sends "name=john", not "name=john\n" (a name with a newline).
const hooks = require('hooks');
const http = require('http');

// A session token, from a real login: the blueprint's example cookie is
// only an example.
function login(transaction, done) {
  const req = http.request({host: transaction.host, port: transaction.port, method: 'POST',
                            path: '/login',
                            headers: {'Content-Type': 'application/x-www-form-urlencoded'}},
                           (res) => {
    res.resume();
    const cookie = (res.headers['set-cookie'] || [''])[0].split(';')[0];
    if (res.statusCode !== 200 || !cookie.startsWith('session=')) {
      transaction.fail = 'login before GET /me answered ' + res.statusCode;
    } else {
      transaction.request.headers.Cookie = cookie;
    }
    done();
  });
  req.on('error', (e) => { transaction.fail = 'login before GET /me: ' + e; done(); });
  req.end('name=john');
}

hooks.beforeEach((transaction, done) => {
  const type = transaction.expected.headers['Content-Type'] || '';
  if (type.startsWith('text/plain') && transaction.expected.body) {
    transaction.expected.body = transaction.expected.body.replace(/\n$/, '');
  }
  const sent = transaction.request.headers['Content-Type'] || '';
  if (sent.startsWith('application/x-www-form-urlencoded') && transaction.request.body) {
    transaction.request.body = transaction.request.body.replace(/\n$/, '');
  }
  if (transaction.request.uri === '/me' && transaction.request.headers.Cookie) {
    login(transaction, done);
    return;
  }
  done();
});
