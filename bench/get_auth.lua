-- wrk script: GET with a bearer token (TOKEN env).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
