//! Every change made on the screen, and the API's revoke-all, is in the log with the
//! credential that signed in as its actor.

use super::screen::Browser;
use super::{Admin, admin_credential, credential, eventually};
use crate::harness::Appw;

#[test]
fn screen_changes_and_api_revoke_all_name_the_signed_in_credential() {
    let appw = Appw::new();
    let (user, password, admin_id) = admin_credential(&appw);
    let (_, id) = credential(&appw, "deploy", "ci", &[]);
    let web = Admin::start(&appw);
    let mut b = Browser::signed_in(&web, &user, &password);
    let row = format!("/credentials/{id}");
    b.post(&row, &[("disable", "1")], true).status(303);
    b.post(&row, &[("enable", "1")], true).status(303);
    b.post(&row, &[("rotate", "1")], true).status(303);
    b.get("/").status(200);
    b.post("/create", &[("name", "backup"), ("user", "ops")], true)
        .status(303);
    b.get("/").status(200);
    let backup = appw
        .list()
        .into_iter()
        .find(|c| c["name"] == "backup")
        .unwrap();
    let backup_id = backup["id"].as_str().unwrap().to_string();
    b.post(
        &format!("/credentials/{backup_id}"),
        &[("revoke", "1")],
        true,
    )
    .status(303);
    b.post("/revoke-all", &[("user", "deploy")], true)
        .status(303);
    credential(&appw, "ops", "nightly", &[]);
    web.api(
        (&user, &password),
        "DELETE",
        "/api/v1/credentials?user=ops",
        None,
    )
    .status(200);

    let actor = format!("credential:{admin_id}");
    let by_screen_or_api = |kind: &str, count: usize| {
        appw.log(&[])
            .iter()
            .filter(|e| e["event"] == kind && e["actor"] == actor.as_str())
            .count()
            >= count
    };
    eventually("every change in the log with its actor", || {
        [
            ("disabled", 1),
            ("enabled", 1),
            ("rotated", 1),
            ("created", 1),
            ("revoked", 1),
            ("revoke-all", 2),
        ]
        .iter()
        .all(|(kind, n)| by_screen_or_api(kind, *n))
    });
}
