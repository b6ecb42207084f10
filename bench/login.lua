-- wrk script: the OAuth2 password login (EMAIL, PASSWORD env).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=" .. os.getenv("EMAIL") .. "&password=" .. os.getenv("PASSWORD")
