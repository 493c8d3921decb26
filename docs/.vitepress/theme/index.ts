/** The default VitePress theme, with the few styles the generated pages need. */
import DefaultTheme from "vitepress/theme";
import "./style.css";

export default DefaultTheme;
