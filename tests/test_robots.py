"""Crawlers get a robots.txt that points to the sitemap and keeps them out of personal pages."""

from django.urls import reverse


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_accounts(client, db):
    response = client.get("/robots.txt", secure=True)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "Sitemap: https://testserver/sitemap.xml" in text
    assert "Disallow: /admin/" in text
    assert "Disallow: /*/my/" in text
    assert "Disallow: /*/accounts/" in text
    # The sitemap it names exists.
    assert (
        client.get(reverse("django.contrib.sitemaps.views.sitemap"), secure=True).status_code == 200
    )
