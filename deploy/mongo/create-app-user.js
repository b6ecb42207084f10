// Runs once, when a MongoDB container initialises an empty data directory
// (docker-entrypoint-initdb.d), as the root user: creates the one user the
// service connects as, with access to its own database only.
const database = process.env.APP_DB;
const user = process.env.APP_DB_USER;
const password = process.env.APP_DB_PASSWORD;
if (!database || !user || !password) {
  throw new Error('APP_DB, APP_DB_USER and APP_DB_PASSWORD must be set');
}
db.getSiblingDB(database).createUser({
  user,
  pwd: password,
  roles: [{ role: 'readWrite', db: database }],
});
