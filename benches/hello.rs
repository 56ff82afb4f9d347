//! A Rust hello-world, built with appw's release profile: the reference for the start-up
//! cost of `appw --version` in benches/run.sh.

fn main() {
    println!("hello");
}
