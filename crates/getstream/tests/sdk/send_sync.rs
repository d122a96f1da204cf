//! Compile-time checks: clients, futures and errors cross threads.

fn assert_send_sync<T: Send + Sync + 'static>() {}
fn assert_send<T: Send + 'static>(_: &T) {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<getstream::Client>();
    assert_send_sync::<getstream::ClientBuilder>();
    assert_send_sync::<getstream::WaitForTask>();
    assert_send_sync::<getstream::Error>();
    assert_send_sync::<getstream::Task>();
    assert_send_sync::<getstream::Response<getstream::Task>>();
    #[cfg(feature = "blocking")]
    {
        assert_send_sync::<getstream::blocking::Client>();
        assert_send_sync::<getstream::blocking::WaitForTask>();
    }
}

#[test]
fn futures_are_send() {
    let client = getstream::Client::new("key", "secret").unwrap();
    let wait = std::future::IntoFuture::into_future(client.wait_for_task("t1"));
    assert_send(&wait);
    let get = async move { client.get_task("t1").await };
    assert_send(&get);
}
