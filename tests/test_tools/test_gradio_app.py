"""The web demo (demo/gradio_app.py) in a real browser: the app serves a model trained by
tools/train.py on localhost, headless Chromium (driven by ChromeDriver through Selenium)
uploads a synthetic video, types a sentence and presses Ground; the page must then show the
drawn video (which the browser decodes, and whose frames are the input's) and the span on the
timeline, as the prediction has it. An empty sentence shows the app's message instead.

Chromium and ChromeDriver are Debian packages (``apt-get install chromium chromium-driver``),
which ``.ci/run`` installs: without them the test is skipped, except in CI (``CI`` set), where
it fails. Chromium runs with a fresh profile and without its background network traffic (the
machine has no network), Gradio without analytics or share link.
"""
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from mmstvg.datasets.synthetic import read_video
from mmstvg.utils.video_io import probe_video
from .conftest import REPO

APP = osp.join(REPO, 'demo', 'gradio_app.py')
SENTENCE = 'The big red square moves left.'
CHROMIUM_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                  '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--window-size=1280,1400')


def _missing() -> str:
    """What the test needs and this machine lacks ('' when nothing)."""
    missing = [name for name in ('chromium', 'chromedriver') if shutil.which(name) is None]
    for module in ('selenium', 'gradio'):
        try:
            __import__(module)
        except ImportError:
            missing.append(f'{module} (requirements/)')
    if not missing:
        return ''
    return (f'the web demo test needs {", ".join(missing)}: apt-get install chromium '
            'chromium-driver (.ci/run does)')


MISSING = _missing()
# skipped before its fixtures train a model; in CI it runs, and fails if something is missing
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING) and not os.environ.get('CI'), reason=MISSING)
]


def _require_browser():
    if _missing():
        pytest.fail(_missing() + '; CI must run it')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(trained, tmp_path):
    _require_browser()
    cfg, ckpt = trained
    port = _free_port()
    log = open(tmp_path / 'app.log', 'w')
    env = dict(
        os.environ,
        PYTHONPATH=REPO,
        OMP_NUM_THREADS='1',
        GRADIO_ANALYTICS_ENABLED='False',
        NO_PROXY='127.0.0.1,localhost',
        no_proxy='127.0.0.1,localhost')
    proc = subprocess.Popen(
        [sys.executable, APP, cfg, ckpt, '--port',
         str(port), '--out-dir',
         str(tmp_path / 'out')],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(tmp_path))
    url = f'http://127.0.0.1:{port}/'
    try:
        deadline = time.time() + 240
        while True:
            if proc.poll() is not None:
                pytest.fail(f'the app exited ({proc.returncode}):\n' +
                            (tmp_path / 'app.log').read_text()[-3000:])
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail('the app did not answer in 240 s:\n' +
                            (tmp_path / 'app.log').read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def browser(tmp_path):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which('chromium')
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f'--user-data-dir={tmp_path / "chromium-profile"}')
    driver = webdriver.Chrome(
        service=Service(shutil.which('chromedriver'), log_output=str(tmp_path / 'driver.log')),
        options=options)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, timeout, what):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25).until(condition)
    except TimeoutException:
        driver.save_screenshot(osp.join(os.environ.get('PYTEST_TMP', '/tmp'), 'gradio_fail.png'))
        pytest.fail(f'{what} did not appear in {timeout} s; page text:\n'
                    f'{driver.find_element("tag name", "body").text[-2000:]}')


def test_web_demo_grounds_an_uploaded_video(app_url, browser, tiny_synth_root, tmp_path):
    from selenium.webdriver.common.by import By
    video = osp.join(tiny_synth_root, 'videos', 'val_00001.mp4')
    num_frames = probe_video(video).num_frames
    browser.get(app_url)

    def found(css):
        return lambda d: d.find_elements(By.CSS_SELECTOR, css) or False

    upload = _wait(browser, found('#input-video input[type=file]'), 60, 'the upload field')[0]
    upload.send_keys(video)
    _wait(browser, found('#input-video video'), 60, 'the uploaded video')
    button = browser.find_element(By.CSS_SELECTOR, '#ground-button')

    # no sentence: the app's message, no result
    button.click()
    _wait(browser, lambda d: 'Type the sentence to ground.' in d.page_source, 30,
          'the empty-sentence message')
    assert not browser.find_elements(By.CSS_SELECTOR, '#stvg-timeline')

    browser.find_element(By.CSS_SELECTOR,
                         '#sentence textarea, #sentence input').send_keys(SENTENCE)
    button.click()
    timeline = _wait(browser, found('#stvg-timeline'), 180, 'the timeline')[0]
    src = _wait(
        browser, lambda d: [
            v.get_attribute('src') for v in d.find_elements(By.CSS_SELECTOR, '#result-video video')
            if v.get_attribute('src')
        ] or False, 60, 'the result video')[0]
    browser.save_screenshot(str(tmp_path / 'page.png'))

    # the span on the timeline: frames and seconds as text, the red bar where the span is
    start, end = (int(timeline.get_attribute(f'data-{k}')) for k in ('start', 'end'))
    assert int(timeline.get_attribute('data-frames')) == num_frames
    assert 0 <= start < end <= num_frames
    text = timeline.find_element(By.CSS_SELECTOR, '.stvg-span-text').text
    assert f'frames {start} to {end - 1}' in text and f'of {num_frames} frames' in text
    bar = timeline.find_element(By.CSS_SELECTOR, '.stvg-span')
    track = bar.find_element(By.XPATH, '..')
    assert bar.size['width'] == pytest.approx(
        track.size['width'] * (end - start) / num_frames, abs=2)
    assert bar.location['x'] - track.location['x'] == pytest.approx(
        track.size['width'] * start / num_frames, abs=2)
    assert SENTENCE in timeline.text

    # the browser plays the drawn video: it decodes its first frame
    width = browser.execute_async_script(
        'const [video, done] = arguments;'
        'if (video.readyState >= 2) { done(video.videoWidth); return; }'
        'video.addEventListener("loadeddata", () => done(video.videoWidth));'
        'video.addEventListener("error", () => done(-1)); video.load();',
        browser.find_element(By.CSS_SELECTOR, '#result-video video'))
    assert width > 0
    # and it is the input's every frame with the tube drawn (larger: caption and timeline)
    out = tmp_path / 'result.mp4'
    with urllib.request.urlopen(src, timeout=30) as response:
        out.write_bytes(response.read())
    drawn = read_video(str(out))
    assert len(drawn) == num_frames and drawn.shape[1] > 64
    # the prediction is shown as JSON too
    shown = browser.find_element(By.CSS_SELECTOR, '#prediction').text
    assert '"span_seconds"' in shown and '"bboxes"' in shown
