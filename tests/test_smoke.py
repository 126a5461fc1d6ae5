def test_login_page_renders(client):
    page = client.get_page("/login")
    assert page.select_one("h1").text == "Log in"
