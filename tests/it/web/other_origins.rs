//! Requests a browser makes on behalf of another site: the API refuses them before using
//! any credentials the browser may have cached (a form on another site could otherwise
//! rotate a credential), and the screen refuses forms from a sibling subdomain as from any
//! other site. The session cookie is a `__Host-` cookie, which a sibling cannot plant.

use super::screen::{Browser, SESSION};
use super::{Admin, admin_credential, credential};
use crate::harness::{Appw, basic};

#[test]
fn a_form_on_another_site_cannot_rotate_through_cached_basic_credentials() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let (deploy, id) = credential(&appw, "deploy", "ci", &[]);
    let web = Admin::start(&appw);
    let auth = basic(&user, &password);
    let rotate = format!("/api/v1/credentials/{id}/rotate");
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let elsewhere: [&[(&str, &str)]; 4] = [
        &[("Sec-Fetch-Site", "cross-site"), form],
        &[("Sec-Fetch-Site", "same-site"), form],
        &[("Origin", "https://evil.example"), form],
        &[("Origin", "null")],
    ];
    for extra in elsewhere {
        let mut headers = vec![("Authorization", auth.as_str())];
        headers.extend_from_slice(extra);
        let r = web.send("POST", &rotate, &headers, b"").status(403);
        assert!(r.error().contains("another site"), "{r:?}");
        assert!(!r.body.contains("password"), "{r:?}");
    }
    // Without a browser's headers, a form's content type is still no JSON.
    let r = web
        .send("POST", &rotate, &[("Authorization", &auth), form], b"")
        .status(415);
    assert!(r.error().contains("application/json"), "{r:?}");
    // The same on a read: nothing of the API answers a page of another site.
    let list = web.send(
        "GET",
        "/api/v1/credentials",
        &[("Authorization", &auth), ("Sec-Fetch-Site", "cross-site")],
        b"",
    );
    assert_eq!(list.status, 403, "{list:?}");
    assert_eq!(web.auth("deploy", &deploy), 204, "not rotated");

    // From the API's own origin, or from no browser, it works.
    let here = format!("http://{}", web.addr);
    let r = web
        .send(
            "POST",
            &rotate,
            &[
                ("Authorization", &auth),
                ("Origin", &here),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            b"",
        )
        .status(201);
    let rotated = r.json();
    assert!(rotated["password"].is_string());
    assert_eq!(web.auth("deploy", &deploy), 401, "rotated");
    let again = format!(
        "/api/v1/credentials/{}/rotate",
        rotated["id"].as_str().unwrap()
    );
    web.api((&user, &password), "POST", &again, None)
        .status(201);
}

#[test]
fn a_form_from_a_sibling_subdomain_changes_nothing() {
    let appw = Appw::new();
    let (user, password, _) = admin_credential(&appw);
    let (deploy, id) = credential(&appw, "deploy", "ci", &[]);
    let web = Admin::start(&appw);
    let mut b = Browser::open(&web);
    let signed = b.sign_in(&user, &password).status(303);
    let set = signed.header("set-cookie").unwrap();
    assert!(set.starts_with(&format!("{SESSION}=")), "{set}");
    for part in ["Secure", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.to_ascii_lowercase().contains("domain="), "{set}");
    b.get("/").status(200);
    let cookie = b.cookie.clone().unwrap();
    let body = format!("csrf={}&revoke=1", b.csrf);
    for extra in [
        ("Sec-Fetch-Site", "same-site"),
        ("Origin", "http://sibling.localhost"),
    ] {
        web.send(
            "POST",
            &format!("/credentials/{id}"),
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
                extra,
            ],
            body.as_bytes(),
        )
        .status(403);
    }
    assert_eq!(web.auth("deploy", &deploy), 204, "nothing changed");
    // The same form from the screen itself works.
    let here = format!("http://{}", web.addr);
    web.send(
        "POST",
        &format!("/credentials/{id}"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
            ("Origin", &here),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        body.as_bytes(),
    )
    .status(303);
    assert_eq!(web.auth("deploy", &deploy), 401, "revoked");
}
