//! Nothing is lost under concurrent writes.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn five_hundred_concurrent_creates_by_ten_users_are_all_stored_and_summed() {
    let app = spawn_app().await;
    let users: Vec<TestUser> = (0..10).map(|_| TestUser::new()).collect();
    let requests = (0..500).map(|i| {
        let user = &users[i % 10];
        let amount = (i % 17) as f64 + 0.5;
        let type_id = 100 + (i % 5) as i64;
        let app = &app;
        async move {
            let r = app
                .create_usage(user, json!({"amount": amount, "usage_type_id": type_id}))
                .await;
            assert_eq!(r.status(), StatusCode::CREATED);
            // Expected from the seeded factor, not the service's own co2e.
            (i % 10, amount * factor_of(type_id))
        }
    });
    let created = futures_util::future::join_all(requests).await;
    assert_eq!(app.stored_usages().await, 500);

    let mut expected: HashMap<usize, (u64, f64)> = HashMap::new();
    for (user, co2e) in created {
        let entry = expected.entry(user).or_default();
        entry.0 += 1;
        entry.1 += co2e;
    }
    for (index, user) in users.iter().enumerate() {
        let list = app
            .get("/usages?limit=1&include_total=true", user)
            .sent()
            .await;
        assert_eq!(list.headers()["x-total-count"], "50");
        let summary: Value = app.get("/usages/summary", user).json_body().await;
        let (count, co2e) = expected[&index];
        assert_eq!(summary["usage_count"].as_u64().unwrap(), count);
        let total = summary["total_co2e"].as_f64().unwrap();
        assert!(
            (total - co2e).abs() < 1e-6 * co2e.max(1.0),
            "{total} vs {co2e}"
        );
    }
}
