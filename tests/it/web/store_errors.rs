//! A store that fails after the caller was let in (a write refused, reads going on): the
//! API answers 503 and the screen says so, and each time the operator is told why once, as
//! `/auth`'s store errors are: one `store error:` line, cleaned (one line, no password),
//! and one more in `appw_store_errors_total`.

use super::screen::Browser;
use super::{Admin, admin_credential, eventually};
use crate::harness::Appw;

const LINE: &str = "appw serve: store error: ";

/// The store errors logged so far.
fn store_errors(web: &Admin) -> usize {
    web.log().iter().filter(|l| l.starts_with(LINE)).count()
}

#[test]
fn a_store_error_after_sign_in_is_logged_and_counted_once() {
    // SQLite: a trigger written by hand refuses every new credential, so the caller is
    // authenticated (a read) and the operation then fails (a write). Its message has a
    // line break and the caller's password, which the log must not carry.
    let appw = Appw::sqlite();
    let (user, password, _) = admin_credential(&appw);
    let web = Admin::start(&appw);
    let me = (user.as_str(), password.as_str());
    web.api(me, "GET", "/api/v1/credentials", None).status(200);
    let mut b = Browser::signed_in(&web, &user, &password);
    let db = rusqlite::Connection::open(appw.path()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(60)).unwrap();
    db.execute_batch(&format!(
        "CREATE TRIGGER refuse BEFORE INSERT ON credentials BEGIN \
         SELECT RAISE(ABORT, 'the disk said no\nappw serve: forged {password}'); END;"
    ))
    .unwrap();
    drop(db);
    let errors = "appw_store_errors_total";
    let before = web.metric(errors);

    // The API: 503, as CLI.md documents, with nothing of the password.
    let created = web
        .api(
            me,
            "POST",
            "/api/v1/credentials",
            Some(r#"{"user": "deploy", "name": "ci"}"#),
        )
        .status(503);
    assert!(!created.body.contains(&password), "{created:?}");
    // Counted before the answer was sent: exactly once.
    assert_eq!(web.metric(errors), before + 1, "{:#?}", web.log());
    eventually("the API's store error logged", || store_errors(&web) == 1);
    // Reads go on: the caller is still let in, and nothing was created.
    let list = web.api(me, "GET", "/api/v1/credentials", None).status(200);
    assert_eq!(list.json().as_array().map(Vec::len), Some(1), "{list:?}");

    // The screen: its create form is answered with the store's failure, once more.
    b.post("/create", &[("name", "Zapier"), ("user", "deploy")], true)
        .status(303);
    assert_eq!(web.metric(errors), before + 2, "{:#?}", web.log());
    eventually("the screen's store error logged", || {
        store_errors(&web) == 2
    });
    let page = b.get("/").status(200);
    assert!(page.body.contains("the disk said no"), "{page:?}");
    assert!(!page.body.contains(&password), "{page:?}");

    let log = web.stop();
    let lines: Vec<&String> = log.iter().filter(|l| l.starts_with(LINE)).collect();
    assert_eq!(lines.len(), 2, "once per failure: {log:#?}");
    let store = appw.path().display().to_string();
    for line in lines {
        assert!(line.contains(&store), "names the store: {line}");
        assert!(line.contains("the disk said no"), "says why: {line}");
    }
    assert!(
        !log.iter().any(|l| l.contains(&password)),
        "no password: {log:#?}"
    );
    assert!(
        !log.iter().any(|l| l.starts_with("appw serve: forged")),
        "one line each: {log:#?}"
    );
}
