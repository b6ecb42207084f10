-- wrk script: POST /usages with a bearer token (TOKEN env).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = '{"amount": 12.5, "usage_type_id": 100}'
