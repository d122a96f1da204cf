//! Compile-time checks: clients, futures and errors cross threads.

fn assert_send_sync<T: Send + Sync + 'static>() {}
fn assert_send<T: Send + 'static>(_: &T) {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<getstream_tasks::Client>();
    assert_send_sync::<getstream_tasks::ClientBuilder>();
    assert_send_sync::<getstream_tasks::WaitForTask>();
    assert_send_sync::<getstream_tasks::Error>();
    assert_send_sync::<getstream_tasks::Task>();
    assert_send_sync::<getstream_tasks::Response<getstream_tasks::Task>>();
    assert_send_sync::<getstream_tasks::PollPolicy>();
    assert_send_sync::<getstream_tasks::WatchEvent>();
    assert_send_sync::<getstream_tasks::CancellationToken>();
    assert_send_sync::<getstream_tasks::TaskEvents>();
    assert_send_sync::<getstream_tasks::webhook::WebhookEvent>();
    assert_send_sync::<getstream_tasks::webhook::WebhookError>();
    assert_send_sync::<getstream_tasks::webhook::Parser>();
    #[cfg(feature = "axum")]
    assert_send_sync::<getstream_tasks::webhook::axum::Receiver>();
    assert_send::<getstream_tasks::WatchTask>(
        &getstream_tasks::Client::new("k", "s")
            .unwrap()
            .watch_task("t"),
    );
    #[cfg(feature = "blocking")]
    {
        assert_send_sync::<getstream_tasks::blocking::Client>();
        assert_send_sync::<getstream_tasks::blocking::WaitForTask>();
    }
}

#[test]
fn futures_are_send() {
    let client = getstream_tasks::Client::new("key", "secret").unwrap();
    let wait = std::future::IntoFuture::into_future(client.wait_for_task("t1"));
    assert_send(&wait);
    assert_send(&client.wait_for_tasks(["t1", "t2"]));
    let drive = {
        let client = client.clone();
        async move {
            use futures::StreamExt;
            let mut events = client.watch_task("t1");
            while events.next().await.is_some() {}
            let mut many = client.wait_for_tasks(["t1"]);
            while many.next().await.is_some() {}
        }
    };
    assert_send(&drive);
    let get = async move { client.get_task("t1").await };
    assert_send(&get);
}
